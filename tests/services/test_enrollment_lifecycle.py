"""Every operation of the enrollment lifecycle, from every status: allowed ones move the
enrollment and leave an audit row, forbidden ones are refused and change nothing."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, EnrollmentStatus
from portal.services import InvalidTransition
from portal.services.onboarding import enrollments
from tests.onboarding import enrollment_in, upgraded

CASES = [
    (operation, status) for operation in enrollments.TRANSITIONS for status in EnrollmentStatus
]
EXTRA = {"fail": {"reason": "disk full"}}


@pytest.mark.parametrize("operation, status", CASES, ids=[f"{o}-from-{s}" for o, s in CASES])
def test_each_operation_moves_only_from_its_listed_statuses(operation, status):
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, status)
    allowed, target = enrollments.TRANSITIONS[operation]
    move = getattr(enrollments, operation)

    if status in allowed:
        move(enrollment, actor=user, **EXTRA.get(operation, {}))
        assert enrollment.status is target
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == f"enrollment.{operation}")
        ).one()
        assert event.details["before"] == status.value and event.details["after"] == target
    else:
        with pytest.raises(InvalidTransition, match="Bright Smiles is .*: cannot"):
            move(enrollment, actor=user, **EXTRA.get(operation, {}))
        assert enrollment.status is status


def test_a_failure_keeps_its_reason_for_the_developer():
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, EnrollmentStatus.INSTALLING)
    enrollments.fail(enrollment, reason="Server unreachable", actor=user)
    assert enrollment.status_reason == "Server unreachable"
    enrollments.retry(enrollment, actor=user)
    assert enrollment.status_reason == ""
