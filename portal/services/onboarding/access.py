"""Whether an organization may use a practice's Synchronizer, and what it may see of the
practice: its own institution, or one whose practice granted its access request."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, not_, select

from portal import clock, readable
from portal.extensions import db
from portal.models import AccessRequest, Enrollment, EnrollmentStatus, RequestStatus
from portal.services import bulk

# A practice is not asked again for a day after it declines, and gets at most three new
# requests a day from one organization (a cancel and a new request, over and over, would
# otherwise email it without end).
DAY = timedelta(days=1)
ASKS_PER_DAY = 3


def has_access(enrollment: Enrollment, *, latest=None) -> bool:
    """Whether the organization may install on the institution: it created the institution
    itself, or the practice granted its latest access request; and it is neither waiting
    for consent nor deactivated. `latest` (see `latest_requests`) spares the query."""
    if enrollment.status in (EnrollmentStatus.AWAITING_CONSENT, EnrollmentStatus.DEACTIVATED):
        return False
    if enrollment.status is EnrollmentStatus.NEEDS_SYNC:
        return True  # it never asked a practice (asking leaves needs_sync for good)
    status = (latest or _latest_request)(enrollment)
    return status is None or status is RequestStatus.APPROVED


def request_cancelled(enrollment: Enrollment, *, latest=None) -> bool:
    """Whether the organization withdrew its latest access request (and has not asked since):
    nothing is pending, so it may ask the practice again."""
    return (
        enrollment.status is EnrollmentStatus.DEACTIVATED
        and (latest or _latest_request)(enrollment) is RequestStatus.CANCELLED
    )


def latest_requests(enrollments: list[Enrollment]):
    """The status of each enrollment's latest access request, read in a query per thousand:
    a `latest=` for `has_access` and `request_cancelled` (None where it never asked)."""
    statuses = {}
    for ids in bulk.chunks({enrollment.id for enrollment in enrollments}):
        newest = (
            select(func.max(AccessRequest.id))
            .where(bulk.one_of(AccessRequest.enrollment_id, ids))
            .group_by(AccessRequest.enrollment_id)
        )
        query = select(AccessRequest.enrollment_id, AccessRequest.status)
        statuses.update(db.session.execute(query.where(AccessRequest.id.in_(newest))).all())
    return lambda enrollment: statuses.get(enrollment.id)


def ended():
    """SQL: the enrollment was deactivated, and not by withdrawing an access request (see
    `request_cancelled`): the organization is done with the institution, and a practice
    onboarded again after that is a new institution (a deactivated one stays so)."""
    latest = (
        select(AccessRequest.status)
        .where(AccessRequest.enrollment_id == Enrollment.id)
        .order_by(AccessRequest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    withdrawn = and_(latest.is_not(None), latest == RequestStatus.CANCELLED)
    return and_(Enrollment.status == EnrollmentStatus.DEACTIVATED, not_(withdrawn))


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


@dataclass(frozen=True)
class Pause:
    """Why and until when an organization may not ask a practice again."""

    until: datetime
    reason: str


def pause(organization_id: int, institution_id: int, name: str) -> Pause | None:
    """The pause on a new access request from the organization to the practice `name`, or
    None when it may ask now. One statement: the newest few requests hold both the latest
    decision and those sent in the last day."""
    now = clock.now()
    newest = db.session.execute(
        select(AccessRequest.status, AccessRequest.decided_at, AccessRequest.created_at)
        .where(
            AccessRequest.organization_id == organization_id,
            AccessRequest.institution_id == institution_id,
        )
        .order_by(AccessRequest.id.desc())
        .limit(ASKS_PER_DAY)
    ).all()
    pauses = []
    if newest and newest[0].status is RequestStatus.REJECTED and newest[0].decided_at:
        declined = newest[0].decided_at
        reason = f"{name} declined your request on {readable.when(declined)}."
        pauses.append(Pause(declined + DAY, reason))
    if len(newest) == ASKS_PER_DAY and newest[-1].created_at > now - DAY:
        reason = f"{name} was sent {ASKS_PER_DAY} access requests in the last day."
        pauses.append(Pause(newest[-1].created_at + DAY, reason))
    found = max(pauses, key=lambda p: p.until, default=None)
    return found if found is not None and found.until > now else None
