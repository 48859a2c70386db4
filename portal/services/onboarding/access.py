"""Whether an organization may use a practice's Synchronizer, and what it may see of the
practice: its own institution, or one whose practice granted its access request."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import AccessRequest, Enrollment, EnrollmentStatus, RequestStatus


def has_access(enrollment: Enrollment) -> bool:
    """Whether the organization may install on the institution: it created the institution
    itself, or the practice granted its latest access request; and it is neither waiting
    for consent nor deactivated."""
    if enrollment.status in (EnrollmentStatus.AWAITING_CONSENT, EnrollmentStatus.DEACTIVATED):
        return False
    if enrollment.status is EnrollmentStatus.NEEDS_SYNC:
        return True  # it never asked a practice (asking leaves needs_sync for good)
    latest = _latest_request(enrollment)
    return latest is None or latest is RequestStatus.APPROVED


def request_cancelled(enrollment: Enrollment) -> bool:
    """Whether the organization withdrew its latest access request (and has not asked since):
    nothing is pending, so it may ask the practice again."""
    return (
        enrollment.status is EnrollmentStatus.DEACTIVATED
        and _latest_request(enrollment) is RequestStatus.CANCELLED
    )


def _latest_request(enrollment: Enrollment) -> RequestStatus | None:
    return db.session.scalar(
        select(AccessRequest.status)
        .where(AccessRequest.enrollment_id == enrollment.id)
        .order_by(AccessRequest.id.desc())
        .limit(1)
    )


def sees_practice(enrollment: Enrollment) -> bool:
    """Whether the organization sees the practice's details (address, locations, syncs): its
    own institution, or one whose practice granted it access and has not withdrawn it. Before
    that, only the name, city and health record system."""
    return has_access(enrollment) or _latest_request(enrollment) is None
