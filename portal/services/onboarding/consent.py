"""Access to a practice's existing Synchronizer, by the practice's consent.

An access request lives `pending` until the practice grants or denies it, the developer
cancels it, or 30 days pass. Its link is single-use per decision and only a POST decides
(mail scanners follow links with GET and HEAD). Resending replaces the link.
"""

from datetime import timedelta

from sqlalchemy import select, update

from portal import clock, email
from portal.extensions import db
from portal.models import (
    AccessRequest,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    LocationGrant,
    Mode,
    Organization,
    RequestStatus,
    User,
)
from portal.services import (
    Conflict,
    Forbidden,
    NotFound,
    PortalError,
    RateLimited,
    audit,
    commit,
    secrets,
)
from portal.services.onboarding import enrollments

R, S = RequestStatus, EnrollmentStatus
LIFETIME = timedelta(days=30)
RESEND_INTERVAL = timedelta(minutes=10)
DENIED, EXPIRED = "access denied by the practice", "consent expired"

# operation: (statuses it may start from, status it leads to)
TRANSITIONS = {
    "grant": ({R.PENDING}, R.APPROVED),
    "deny": ({R.PENDING}, R.REJECTED),
    "cancel": ({R.PENDING}, R.CANCELLED),
    "expire": ({R.PENDING}, R.EXPIRED),
}


class LinkNoLongerValid(PortalError):
    status_code = 404

    def __init__(self):
        super().__init__("This request is no longer open: it was decided, cancelled or expired.")


def request_access(actor: User, institution: Institution) -> Enrollment:
    """Ask `institution`'s practice to let the actor's organization use its Synchronizer.

    The enrollment waits in `awaiting_consent`, asking for every location of the practice.
    """
    enrollment = add_request(actor, actor.organization, institution)
    commit()
    return enrollment


def add_request(actor: User, organization: Organization, institution: Institution) -> Enrollment:
    """`request_access` without the commit, for the CSV import's single transaction."""
    if not institution.email:
        raise PortalError(
            f"{institution.name} has no email address on file to ask for consent. "
            "Contact support and we will reach the practice."
        )
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == organization.id,
            Enrollment.institution_id == institution.id,
        )
    ) or enrollments.start(organization, institution, Mode.PRODUCTION)
    db.session.flush()
    enrollments.request_access(enrollment, actor=actor)
    now = clock.now()
    held = {g.location_id for g in enrollment.grants if g.status is not GrantStatus.DEACTIVATED}
    for location in institution.locations:
        if location.id not in held:
            db.session.add(
                LocationGrant(enrollment=enrollment, location=location, requested_at=now)
            )
    request = AccessRequest(
        enrollment_id=enrollment.id,
        organization_id=organization.id,
        institution_id=institution.id,
        token_digest="",
        expires_at=now,
    )
    db.session.add(request)
    _send(request, enrollment)
    audit.record(
        "access.requested",
        actor=actor,
        organization=organization,
        target=request,
        institution=institution.name,
    )
    return enrollment


def request_again(actor: User, enrollment: Enrollment) -> Enrollment:
    """After a denial, an expiry or a cancellation: ask the practice once more."""
    _require_own(actor, enrollment)
    return request_access(actor, enrollment.institution)


def dismiss_match(actor: User, institution: Institution) -> None:
    """The developer says the practice they are creating is not this match (audited)."""
    audit.record("institution.match_dismissed", actor=actor, target=institution)
    commit()


def find_by_link(raw: str) -> AccessRequest:
    """The pending request a link points to (expiring it if its time is up)."""
    request = db.session.scalar(
        select(AccessRequest).where(AccessRequest.token_digest == secrets.digest(raw))
    )
    if request is not None and _expire_if_due(request):
        commit()
    if request is None or request.status is not R.PENDING:
        raise LinkNoLongerValid()
    return request


def decide_by_link(raw: str, *, grant: bool) -> AccessRequest:
    """The practice's POST from the confirmation page: grant or deny this one request."""
    request = find_by_link(raw)
    (_grant if grant else _deny)(request, via="email link")
    commit()
    return request


def decide(institution: Institution, request_id: int, *, grant: bool) -> AccessRequest:
    """The same decision from the practice's signed-in Apps page."""
    request = _pending_for(institution, request_id)
    (_grant if grant else _deny)(request, via="practice page")
    commit()
    return request


def revoke(institution: Institution, enrollment_id: int) -> Enrollment:
    """The practice withdraws an organization's access: its grants stop now."""
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id, Enrollment.institution_id == institution.id
        )
    )
    if enrollment is None:
        raise NotFound("No such app.")
    _stop_grants(enrollment)
    enrollments.deactivate(enrollment, reason="access revoked by the practice")
    audit.record(
        "access.revoked",
        actor=None,
        organization=enrollment.organization,
        target=enrollment,
        institution=institution.name,
    )
    email.access_revoked(enrollment)
    commit()
    return enrollment


def resend(actor: User, enrollment: Enrollment) -> None:
    """Email the practice again with a new link (the old one dies). Once every 10 minutes."""
    _require_own(actor, enrollment)
    request = _open_request(enrollment)
    wait = request.last_sent_at + RESEND_INTERVAL - clock.now()
    if wait > timedelta(0):
        minutes = int(wait.total_seconds() // 60) + 1
        raise RateLimited(
            f"The practice was emailed moments ago. Resend in {minutes} minutes.",
            int(wait.total_seconds()) + 1,
        )
    _send(request, enrollment)
    audit.record("access.resent", actor=actor, target=request)
    commit()


def cancel(actor: User, enrollment: Enrollment) -> None:
    """Withdraw the organization's pending request; its link stops working."""
    _require_own(actor, enrollment)
    _cancel(_open_request(enrollment), actor=actor)
    commit()


def cancel_by_staff(staff: User, requests: list[AccessRequest]) -> int:
    """Ops withdraw pending requests (e.g. a practice that asked them to): each link stops
    working and its enrollment is closed as a developer's cancel would. Requests no longer
    pending are skipped. Returns how many were cancelled; Forbidden unless staff."""
    pending = _pending_only(staff, requests)
    for request in pending:
        enrollment = _cancel(request, actor=staff)
        email.access_closed(enrollment, "was cancelled by our team")
    commit()
    return len(pending)


def expire_by_staff(staff: User, requests: list[AccessRequest]) -> int:
    """Ops expire pending requests now rather than at day 30: the enrollment fails with
    "consent expired", as on expiry. Skips requests no longer pending; Forbidden unless staff."""
    pending = _pending_only(staff, requests)
    for request in pending:
        _expire(request, actor=staff)
    commit()
    return len(pending)


def expire_due(organization=None) -> int:
    """Expire pending requests older than 30 days (`flask requests expire`, and on read)."""
    query = select(AccessRequest).where(
        AccessRequest.status == R.PENDING, AccessRequest.expires_at <= clock.now()
    )
    if organization is not None:
        query = query.where(AccessRequest.organization_id == organization.id)
    expired = [r for r in db.session.scalars(query).all() if _expire_if_due(r)]
    commit()
    return len(expired)


def expire_due_for(institution: Institution) -> None:
    for request in db.session.scalars(
        select(AccessRequest).where(
            AccessRequest.institution_id == institution.id,
            AccessRequest.status == R.PENDING,
            AccessRequest.expires_at <= clock.now(),
        )
    ).all():
        _expire_if_due(request)
    commit()


def _require_own(actor: User, enrollment: Enrollment) -> None:
    if actor.organization_id != enrollment.organization_id:
        raise NotFound("No such institution.")


def _send(request: AccessRequest, enrollment: Enrollment) -> None:
    raw = secrets.token()
    now = clock.now()
    request.token_digest, request.last_sent_at, request.expires_at = (
        secrets.digest(raw),
        now,
        now + LIFETIME,
    )
    db.session.flush()
    email.access_requested(request, enrollment, raw)


def _grant(request: AccessRequest, *, via: str) -> None:
    _move(request, "grant")
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    now = clock.now()
    for grant in enrollment.grants:
        if grant.status is GrantStatus.REQUESTED:
            grant.status, grant.activated_at = GrantStatus.ACTIVE, now
    enrollments.consent(enrollment)
    audit.record(
        "access.granted", actor=None, organization=enrollment.organization, target=request, via=via
    )
    email.access_decided(enrollment, granted=True)


def _deny(request: AccessRequest, *, via: str) -> None:
    _move(request, "deny")
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    _stop_grants(enrollment)
    enrollments.refuse_consent(enrollment, reason=DENIED)
    audit.record(
        "access.denied", actor=None, organization=enrollment.organization, target=request, via=via
    )
    email.access_decided(enrollment, granted=False)


def _expire_if_due(request: AccessRequest) -> bool:
    if request.status is not R.PENDING or request.expires_at > clock.now():
        return False
    _expire(request, actor=None)
    return True


def _cancel(request: AccessRequest, *, actor: User) -> Enrollment:
    _move(request, "cancel")
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    _stop_grants(enrollment)
    enrollments.cancel_request(enrollment, actor=actor)
    audit.record(
        "access.cancelled", actor=actor, organization=enrollment.organization, target=request
    )
    return enrollment


def _expire(request: AccessRequest, *, actor: User | None) -> None:
    _move(request, "expire")
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    _stop_grants(enrollment)
    enrollments.refuse_consent(enrollment, reason=EXPIRED)
    audit.record(
        "access.expired", actor=actor, organization=enrollment.organization, target=request
    )
    email.access_closed(enrollment, "expired before the practice answered")


def _pending_only(staff: User, requests: list[AccessRequest]) -> list[AccessRequest]:
    if not staff.is_staff:
        raise Forbidden("Only staff cancel or expire access requests.")
    return [r for r in requests if r.status is R.PENDING]


def _move(request: AccessRequest, operation: str) -> None:
    # One conditional UPDATE: two concurrent decisions cannot both apply.
    allowed, target = TRANSITIONS[operation]
    changed = db.session.execute(
        update(AccessRequest)
        .where(AccessRequest.id == request.id, AccessRequest.status.in_(allowed))
        .values(status=target, decided_at=clock.now())
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"This request is already {request.status.value}.")
    db.session.refresh(request)


def _stop_grants(enrollment: Enrollment) -> None:
    now = clock.now()
    for grant in enrollment.grants:
        if grant.status is not GrantStatus.DEACTIVATED:
            grant.status, grant.deactivated_at = GrantStatus.DEACTIVATED, now


def _open_request(enrollment: Enrollment) -> AccessRequest:
    request = db.session.scalar(
        select(AccessRequest).where(
            AccessRequest.enrollment_id == enrollment.id, AccessRequest.status == R.PENDING
        )
    )
    if request is not None and _expire_if_due(request):
        commit()
        request = None
    if request is None:
        raise Conflict("There is no open access request for this institution.")
    return request


def _pending_for(institution: Institution, request_id: int) -> AccessRequest:
    request = db.session.scalar(
        select(AccessRequest).where(
            AccessRequest.id == request_id, AccessRequest.institution_id == institution.id
        )
    )
    if request is not None and _expire_if_due(request):
        commit()
    if request is None or request.status is not R.PENDING:
        raise LinkNoLongerValid()
    return request
