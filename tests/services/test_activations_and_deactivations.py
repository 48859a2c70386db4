from datetime import timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.models import EnrollmentStatus, GrantStatus, Location, RequestStatus
from portal.services import Forbidden, InvalidTransition, PortalError
from portal.services.accounts import users
from portal.services.onboarding import activations, billing, deactivations, grants
from tests.conftest import PASSWORD
from tests.onboarding import enrollment_in, upgraded


@pytest.fixture
def live():
    """A live enrollment with one active location out of three."""
    user = upgraded("Alpha Apps", "a@alpha.example")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE, "Tri Dental")
    locations = [
        Location(institution=enrollment.institution, foreign_id=str(i), name=f"Office {i}")
        for i in (1, 2, 3)
    ]
    db.session.add_all(locations)
    db.session.flush()
    grants.grant(enrollment, locations[:1])
    db.session.commit()
    return user, enrollment, locations


@pytest.fixture
def staff():
    return users.create_staff("s@ops.example", PASSWORD)


def test_additional_locations_become_active_once_staff_fulfil(live, staff, mailbox):
    user, enrollment, locations = live
    assert [loc.name for loc in activations.available_locations(enrollment)] == [
        "Office 2",
        "Office 3",
    ]
    activation = activations.request(enrollment, [locations[1].id], actor=user)
    assert [loc.name for loc in activations.available_locations(enrollment)] == ["Office 3"]
    assert len(activations.fulfil([activation], actor=staff).done) == 1
    active = {g.location.name for g in enrollment.grants if g.status is GrantStatus.ACTIVE}
    assert active == {"Office 1", "Office 2"}
    assert "fulfilled" in mailbox.bodies_to("a@alpha.example")[0]
    assert len(activations.fulfil([activation], actor=staff).done) == 0


def test_a_rejected_activation_keeps_the_locations_inactive_and_says_why(live, staff, mailbox):
    user, enrollment, locations = live
    activation = activations.request(enrollment, [locations[2].id], actor=user)
    with pytest.raises(PortalError, match="reason"):
        activations.reject([activation], reason="", actor=staff)
    activations.reject([activation], reason="Office 3 closed", actor=staff)
    assert activation.status is RequestStatus.REJECTED
    assert "Office 3 closed" in mailbox.bodies_to("a@alpha.example")[0]
    assert len(activations.available_locations(enrollment)) == 2


def test_activation_requests_are_refused_for_foreign_held_or_non_live_choices(live, staff):
    user, enrollment, locations = live
    with pytest.raises(PortalError):
        activations.request(enrollment, [locations[0].id], actor=user)  # already active
    with pytest.raises(PortalError):
        activations.request(enrollment, [], actor=user)
    with pytest.raises(Forbidden):
        activations.fulfil([], actor=user)
    enrollment.status = EnrollmentStatus.INSTALLING
    with pytest.raises(InvalidTransition):
        activations.request(enrollment, [locations[1].id], actor=user)


def test_deactivating_a_subset_keeps_the_enrollment_live_and_stops_billing(live):
    user, enrollment, locations = live
    grants.grant(enrollment, locations[1:])
    db.session.commit()
    assert billing.billable_locations(user.organization) == 3
    done = deactivations.deactivate(enrollment, actor=user, location_ids=[locations[1].id])
    assert done.locations == ["Office 2"] and enrollment.status is EnrollmentStatus.LIVE
    assert billing.billable_locations(user.organization) == 2
    stopped = next(g for g in enrollment.grants if g.location_id == locations[1].id)
    assert stopped.activated_at and stopped.deactivated_at  # nothing deleted


def test_deactivating_everything_deactivates_the_enrollment(live):
    user, enrollment, _ = live
    with clock.travel(timedelta(hours=1)):
        deactivations.deactivate(enrollment, actor=user)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
    assert billing.billable_locations(user.organization) == 0
    with pytest.raises(InvalidTransition):
        deactivations.deactivate(enrollment, actor=user)


def test_staff_deactivate_in_bulk_in_one_go(live, staff):
    user, enrollment, _ = live
    other = enrollment_in(user, EnrollmentStatus.INSTALLING, "Second Dental")
    assert len(deactivations.deactivate_many([enrollment, other], actor=staff).done) == 2
    assert {enrollment.status, other.status} == {EnrollmentStatus.DEACTIVATED}
    assert enrollment.status_reason == "deactivated by staff"
    with pytest.raises(Forbidden):
        deactivations.deactivate_many([enrollment], actor=user)
