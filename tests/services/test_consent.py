"""Practice consent: requests, links that only a POST can use, expiry, resend, cancel, revoke."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    AccessRequest,
    EnrollmentStatus,
    GrantStatus,
    RequestStatus,
)
from portal.services import Conflict, RateLimited
from portal.services.onboarding import consent, deactivations, practice_apps
from tests.onboarding import live_practice, upgraded


@pytest.fixture
def practice():
    return live_practice()


@pytest.fixture
def bravo():
    return upgraded("Bravo Apps", "b@bravo.example")


def link(mailbox) -> str:
    return mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]


def test_a_request_asks_for_every_location_and_emails_the_practice(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT
    assert [g.status for g in enrollment.grants] == [GrantStatus.REQUESTED] * 2
    body = mailbox.bodies_to("desk@shared.example")[0]
    assert "Bravo Apps" in body and "Office 1" in body and "Office 2" in body


def test_granting_by_link_makes_the_enrollment_live_with_active_grants(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    raw = link(mailbox)
    assert consent.find_by_link(raw).status is RequestStatus.PENDING  # looking changes nothing
    consent.decide_by_link(raw, grant=True)
    assert enrollment.status is EnrollmentStatus.LIVE
    assert all(g.status is GrantStatus.ACTIVE and g.activated_at for g in enrollment.grants)
    assert "granted" in mailbox.bodies_to("b@bravo.example")[0]
    with pytest.raises(consent.LinkNoLongerValid):
        consent.decide_by_link(raw, grant=False)


def test_denying_fails_the_enrollment_with_the_practices_reason(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide_by_link(link(mailbox), grant=False)
    assert enrollment.status is EnrollmentStatus.FAILED
    assert enrollment.status_reason == "access denied by the practice"
    assert all(
        g.status is GrantStatus.DEACTIVATED and g.activated_at is None for g in enrollment.grants
    )


def test_requests_expire_after_thirty_days(app, practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    raw = link(mailbox)
    with clock.travel(timedelta(days=31)):
        result = app.test_cli_runner().invoke(args=["requests", "expire"])
        assert "1 access request expired" in result.output
        with pytest.raises(consent.LinkNoLongerValid):
            consent.decide_by_link(raw, grant=True)
        notices = mailbox.bodies_to("b@bravo.example")  # the worker sends what is due then
    db.session.refresh(enrollment)
    assert (enrollment.status, enrollment.status_reason) == (
        EnrollmentStatus.FAILED,
        "consent expired",
    )
    assert any("expired before the practice answered" in body for body in notices)


def test_expiry_is_also_checked_when_the_link_is_read(practice, bravo, mailbox):
    consent.request_access(practice, actor=bravo)
    with clock.travel(timedelta(days=30, seconds=1)), pytest.raises(consent.LinkNoLongerValid):
        consent.find_by_link(link(mailbox))
    assert db.session.scalar(select(AccessRequest.status)) is RequestStatus.EXPIRED


def test_resend_replaces_the_link_and_is_rate_limited(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    old = link(mailbox)
    with pytest.raises(RateLimited):
        consent.resend(enrollment, actor=bravo)
    with clock.travel(timedelta(minutes=11)):
        consent.resend(enrollment, actor=bravo)
        new = link(mailbox)
    assert new != old
    with pytest.raises(consent.LinkNoLongerValid):
        consent.find_by_link(old)
    consent.decide_by_link(new, grant=True)
    assert enrollment.status is EnrollmentStatus.LIVE


def test_a_cancelled_request_link_changes_nothing(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    raw = link(mailbox)
    consent.cancel(enrollment, actor=bravo)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
    with pytest.raises(consent.LinkNoLongerValid):
        consent.decide_by_link(raw, grant=True)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
    with pytest.raises(Conflict):
        consent.cancel(enrollment, actor=bravo)


def test_a_link_for_one_request_cannot_decide_another(practice, bravo, mailbox):
    charlie = upgraded("Charlie Apps", "c@charlie.example")
    first = consent.request_access(practice, actor=bravo)
    bravo_link = link(mailbox)
    second = consent.request_access(practice, actor=charlie)
    consent.decide_by_link(bravo_link, grant=True)
    assert first.status is EnrollmentStatus.LIVE
    assert second.status is EnrollmentStatus.AWAITING_CONSENT


def test_revoking_stops_the_grants_and_emails_the_developer(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide_by_link(link(mailbox), grant=True)
    deactivations.revoke(enrollment.id, practice=practice)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
    assert all(g.status is GrantStatus.DEACTIVATED and g.deactivated_at for g in enrollment.grants)
    assert any("revoked" in body for body in mailbox.bodies_to("b@bravo.example"))


def test_the_apps_list_shows_pending_and_live_developers(practice, bravo, mailbox):
    consent.request_access(practice, actor=bravo)
    apps = {app.organization: app for app in practice_apps.apps_for(practice)}
    assert apps["Bravo Apps"].request_id is not None
    assert apps["Alpha Apps"].request_id is None


def _requests() -> int:
    return len(db.session.scalars(select(AccessRequest.id)).all())


def test_a_practice_that_declined_is_not_asked_again_for_a_day(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide_by_link(link(mailbox), grant=False)
    emailed, asked = len(mailbox.bodies_to("desk@shared.example")), _requests()
    with clock.travel(timedelta(hours=23)), pytest.raises(RateLimited) as refused:
        consent.request_again(enrollment, actor=bravo)
    assert "Shared Smiles declined your request on " in str(refused.value)
    assert "You can ask again from " in str(refused.value)
    assert 0 < refused.value.retry_after <= 3600
    assert (len(mailbox.bodies_to("desk@shared.example")), _requests()) == (emailed, asked)
    assert enrollment.status is EnrollmentStatus.FAILED  # nothing changed
    with clock.travel(timedelta(days=1, minutes=1)):
        consent.request_again(enrollment, actor=bravo)
        assert len(mailbox.bodies_to("desk@shared.example")) == emailed + 1
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT


def test_cancelling_and_asking_again_emails_a_practice_three_times_a_day_at_most(
    practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    for _ in range(2):
        consent.cancel(enrollment, actor=bravo)
        consent.request_again(enrollment, actor=bravo)
    consent.cancel(enrollment, actor=bravo)
    assert consent.ask_pause(enrollment) is not None
    with pytest.raises(RateLimited, match="was sent 3 access requests in the last day"):
        consent.request_again(enrollment, actor=bravo)
    assert len(mailbox.bodies_to("desk@shared.example")) == _requests() == 3
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
    with clock.travel(timedelta(days=1, minutes=1)):
        assert consent.ask_pause(enrollment) is None
        consent.request_again(enrollment, actor=bravo)
        assert len(mailbox.bodies_to("desk@shared.example")) == _requests() == 4


def test_another_organization_is_not_paused_by_the_first(practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide_by_link(link(mailbox), grant=False)
    charlie = upgraded("Charlie Apps", "c@charlie.example")
    other = consent.request_access(practice, actor=charlie)
    assert other.status is EnrollmentStatus.AWAITING_CONSENT and other != enrollment
