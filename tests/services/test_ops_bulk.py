"""Staff bulk work on queues: cancel or expire access requests, resend failed email."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock, worker
from portal.extensions import db
from portal.models import (
    AccessRequest,
    AuditEvent,
    EmailStatus,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    OutboundEmail,
    RequestStatus,
)
from portal.services import Forbidden
from portal.services.accounts import users
from portal.services.delivery import outbox
from portal.services.onboarding import consent, enrollments
from tests.conftest import PASSWORD
from tests.onboarding import live_practice, upgraded


@pytest.fixture
def staff():
    return users.create_staff("olive@ops.example", PASSWORD)


def pending_requests(count: int) -> list[AccessRequest]:
    """`count` organizations each asking the same practice for access."""
    practice = live_practice()
    for i in range(count):
        consent.request_access(practice, actor=upgraded(f"Org {i}", f"dev{i}@org{i}.example"))
    return list(db.session.scalars(select(AccessRequest).order_by(AccessRequest.id)))


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


def test_staff_cancel_pending_requests_closing_links_enrollments_and_grants(staff, mailbox):
    first, second = pending_requests(2)
    assert len(consent.cancel_by_staff([first, second], actor=staff).done) == 2
    for request in (first, second):
        assert request.status is RequestStatus.CANCELLED and request.decided_at
        enrollment = db.session.get(Enrollment, request.enrollment_id)
        assert enrollment.status is EnrollmentStatus.DEACTIVATED
        assert all(g.status is GrantStatus.DEACTIVATED for g in enrollment.grants)
    assert [e.actor_email for e in actions("access.cancelled")] == ["olive@ops.example"] * 2
    assert "was cancelled by our team" in mailbox.bodies_to("dev0@org0.example")[-1]


def test_staff_cancel_skips_requests_already_decided(staff, mailbox):
    first, second = pending_requests(2)
    consent.decide(first.id, practice=db.session.get(Institution, first.institution_id), grant=True)
    assert len(consent.cancel_by_staff([first, second], actor=staff).done) == 1
    assert first.status is RequestStatus.APPROVED and second.status is RequestStatus.CANCELLED


def test_staff_expire_pending_requests_now_failing_the_enrollment(staff, mailbox):
    (request,) = pending_requests(1)
    assert len(consent.expire_by_staff([request], actor=staff).done) == 1
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    assert request.status is RequestStatus.EXPIRED
    assert enrollment.status is EnrollmentStatus.FAILED
    assert enrollment.status_reason == enrollments.EXPIRED
    assert [e.actor_email for e in actions("access.expired")] == ["olive@ops.example"]


def test_only_staff_cancel_or_expire_access_requests(mailbox):
    (request,) = pending_requests(1)
    developer = upgraded("Mallory Apps", "m@mallory.example")
    for bulk in (consent.cancel_by_staff, consent.expire_by_staff):
        with pytest.raises(Forbidden):
            bulk([request], actor=developer)
    assert request.status is RequestStatus.PENDING


def failed_email(to: str) -> OutboundEmail:
    email = OutboundEmail(
        template="welcome",
        recipient=to,
        subject="Welcome",
        body_text="hello",
        status=EmailStatus.FAILED,
        attempts=5,
        last_error="ConnectionRefusedError",
    )
    db.session.add(email)
    db.session.commit()
    return email


def test_resend_delivers_failed_and_stuck_email_and_skips_sent_ones(staff, mailbox):
    failed = failed_email("a@example.com")
    stuck = failed_email("b@example.com")
    # Its worker stopped mid-batch: the lease ran out an hour ago.
    stuck.status, stuck.claimed_until = EmailStatus.SENDING, clock.now() - timedelta(hours=1)
    sent = failed_email("c@example.com")
    sent.status = EmailStatus.SENT
    db.session.commit()
    assert len(outbox.resend([failed, stuck, sent], actor=staff).done) == 2
    assert sorted(m["To"] for m in mailbox.messages) == ["a@example.com", "b@example.com"]
    db.session.expire_all()
    assert [e.status for e in (failed, stuck, sent)] == [EmailStatus.SENT] * 3
    assert len(actions("email.resent")) == 2


def test_a_resent_email_whose_server_is_still_down_waits_in_the_queue(staff, mail_settings):
    email = failed_email("a@example.com")
    assert len(outbox.resend([email], actor=staff).done) == 1
    worker.run_until_idle()
    db.session.refresh(email)
    assert email.status is EmailStatus.PENDING and email.attempts == 1
    assert actions("email.resent")  # the decision is recorded even though sending failed


def test_only_staff_resend_email(mailbox):
    email = failed_email("a@example.com")
    with pytest.raises(Forbidden):
        outbox.resend([email], actor=upgraded("Mallory Apps", "m@mallory.example"))
    assert email.status is EmailStatus.FAILED
