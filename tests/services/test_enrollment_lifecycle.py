"""Every public action of the enrollment lifecycle, from every status: allowed ones move the
enrollment as the table says and leave an audit row; the others are refused with a clear
reason and change nothing."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessRequest,
    AuditEvent,
    EnrollmentStatus,
    Location,
    LocationGrant,
    RequestStatus,
)
from portal.services import PortalError, commit, secrets
from portal.services.accounts import users
from portal.services.onboarding import activations, consent, deactivations, enrollments
from portal.services.syncs import setup
from tests.conftest import PASSWORD
from tests.onboarding import live_practice, upgraded


def _arranged(status: EnrollmentStatus):
    """Bravo's enrollment in Alpha's live two-office practice, put in `status`, with the
    access request that goes with it (pending only while awaiting consent)."""
    practice = live_practice(offices=2)
    bravo = upgraded("Bravo Apps", "b@bravo.example")
    enrollment = enrollments.start(bravo.organization, practice, practice.mode)
    enrollment.status = status
    db.session.flush()
    db.session.add(
        AccessRequest(
            enrollment_id=enrollment.id,
            organization_id=bravo.organization_id,
            institution_id=practice.id,
            status=REQUEST_WITH.get(status, RequestStatus.EXPIRED),
            token_digest=secrets.digest("the-link"),
            expires_at=practice.created_at.replace(year=2100),
        )
    )
    commit()
    return bravo, enrollment, users.create_staff("olive@ops.example", PASSWORD)


REQUEST_WITH = {
    EnrollmentStatus.AWAITING_CONSENT: RequestStatus.PENDING,
    EnrollmentStatus.LIVE: RequestStatus.APPROVED,
    EnrollmentStatus.NEEDS_LOCATIONS: RequestStatus.APPROVED,
    EnrollmentStatus.FAILED: RequestStatus.REJECTED,
    EnrollmentStatus.DEACTIVATED: RequestStatus.CANCELLED,
}


def _locations(enrollment) -> list[int]:
    return list(
        db.session.scalars(
            select(Location.id).where(Location.institution_id == enrollment.institution_id)
        )
    )


def _pending(enrollment):
    return db.session.scalar(
        select(AccessRequest).where(AccessRequest.enrollment_id == enrollment.id)
    )


# public action: (the step of the table whose statuses it may start from, how to call it)
ACTIONS = {
    "consent.request_access": (
        "request_access",
        lambda e, dev, staff: consent.request_access(e.institution, actor=dev),
    ),
    "consent.request_again": (
        "request_access",
        lambda e, dev, staff: consent.request_again(e, actor=dev),
    ),
    "consent.cancel": ("cancel_request", lambda e, dev, staff: consent.cancel(e, actor=dev)),
    "consent.decide_by_link (grant)": (
        "consent",
        lambda e, dev, staff: consent.decide_by_link("the-link", grant=True),
    ),
    "consent.decide_by_link (deny)": (
        "refuse_consent",
        lambda e, dev, staff: consent.decide_by_link("the-link", grant=False),
    ),
    "consent.cancel_by_staff": (
        "cancel_request",
        lambda e, dev, staff: _bulk(consent.cancel_by_staff([_pending(e)], actor=staff)),
    ),
    "consent.expire_by_staff": (
        "refuse_consent",
        lambda e, dev, staff: _bulk(consent.expire_by_staff([_pending(e)], actor=staff)),
    ),
    "deactivations.revoke": (
        "deactivate",
        lambda e, dev, staff: deactivations.revoke(e.id, practice=e.institution),
    ),
    "deactivations.deactivate": (
        "deactivate",
        lambda e, dev, staff: deactivations.deactivate(e, actor=dev),
    ),
    "deactivations.deactivate_many": (
        "deactivate",
        lambda e, dev, staff: _bulk(deactivations.deactivate_many([e], actor=staff)),
    ),
    "activations.select_locations": (
        "select_locations",
        lambda e, dev, staff: activations.select_locations(e, _locations(e)[:1], actor=dev),
    ),
    "activations.request": (
        "request_activation",
        lambda e, dev, staff: activations.request(e, _locations(e)[:1], actor=dev),
    ),
}
CASES = [(action, status) for action in ACTIONS for status in EnrollmentStatus]


def _bulk(outcome):
    if outcome.skipped:
        raise PortalError(outcome.skipped[0][1])
    if not outcome.done:
        raise PortalError("nothing to do")


def _snapshot(enrollment):
    db.session.refresh(enrollment)
    count = select(func.count())
    return (
        enrollment.status,
        # The trail of changes (a refused link adds its denial row, nothing else).
        db.session.scalar(
            count.select_from(AuditEvent).where(AuditEvent.action.not_like("denied.%"))
        ),
        db.session.scalar(count.select_from(LocationGrant)),
    )


@pytest.mark.parametrize("action, status", CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_public_enrollment_action_moves_as_the_table_says_or_is_refused(
    action, status, mailbox
):
    developer, enrollment, staff = _arranged(status)
    step_name, call = ACTIONS[action]
    step = enrollments.TRANSITIONS[step_name]
    before = _snapshot(enrollment)

    if status in step.start:
        call(enrollment, developer, staff)
        after = _snapshot(enrollment)
        assert after[0] is (step.to or status)
        assert after[1] > before[1]
    else:
        with pytest.raises(PortalError) as refused:
            call(enrollment, developer, staff)
        message = str(refused.value)
        assert message[:1].isupper() and message.endswith(".")  # a sentence a person reads
        db.session.rollback()
        assert _snapshot(enrollment) == before


def test_a_practice_that_has_not_granted_access_gets_no_sync_from_the_developer(mailbox):
    practice = live_practice()
    bravo = upgraded("Bravo Apps", "b@bravo.example")
    enrollment = consent.request_access(practice, actor=bravo)
    with pytest.raises(PortalError, match="Awaiting consent|awaiting consent"):
        setup.create_sync(enrollment, ehr="dentrix", server_name="EVIL", actor=bravo)
    consent.decide_by_link(_link(mailbox), grant=False)
    with pytest.raises(PortalError, match="not granted your organization access"):
        setup.create_sync(enrollment, ehr="dentrix", server_name="EVIL", actor=bravo)
    assert [s.server_name for s in practice.syncs] == ["SRV1"]


def test_after_the_practice_grants_access_the_developer_may_add_a_sync(mailbox):
    practice = live_practice()
    bravo = upgraded("Bravo Apps", "b@bravo.example")
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide_by_link(_link(mailbox), grant=True)
    sync = setup.create_sync(enrollment, ehr="eaglesoft", server_name="BRAVO", actor=bravo)
    assert sync.created_by_org_id == bravo.organization_id


def test_a_failure_keeps_its_reason_for_the_developer():
    developer, enrollment, staff = _arranged(EnrollmentStatus.INSTALLING)
    enrollments.move(enrollment, "fail", actor=developer, reason="Server unreachable")
    assert enrollment.status_reason == "Server unreachable"
    enrollments.move(enrollment, "retry", actor=developer)
    assert enrollment.status_reason == ""


def _link(mailbox) -> str:
    body = mailbox.bodies_to("desk@shared.example")[-1]
    return body.split("/practice/requests/")[1].split()[0]
