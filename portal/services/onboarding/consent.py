"""Access to a practice's existing Synchronizer, by the practice's consent.

An access request lives `pending` until the practice grants or denies it, the developer or
staff cancel it, or 30 days pass. Each of those decisions is claimed once (one conditional
UPDATE), and the enrollment follows it (see `enrollments.follow_request`). The link is
single-use per decision and only a POST decides (mail scanners follow links with GET and
HEAD). Resending replaces the link. A practice that declined is not asked again for a day,
and none gets more than three new requests a day from one organization (`access.pause`).
"""

from datetime import timedelta

from sqlalchemy import select

from portal import clock, email, readable
from portal.extensions import db
from portal.models import (
    AccessRequest,
    Enrollment,
    Institution,
    Mode,
    Organization,
    RequestStatus,
    User,
)
from portal.services import (
    Conflict,
    Forbidden,
    PortalError,
    RateLimited,
    audit,
    commit,
    secrets,
    tenancy,
)
from portal.services.claims import claim
from portal.services.onboarding import access, consent_evidence, enrollments
from portal.services.onboarding.consent_evidence import Evidence
from portal.services.outcomes import Outcome, each

LIFETIME = timedelta(days=30)
RESEND_INTERVAL = timedelta(minutes=10)

# operation: (statuses it may start from, status it leads to)
TRANSITIONS = {
    "grant": ({RequestStatus.PENDING}, RequestStatus.APPROVED),
    "deny": ({RequestStatus.PENDING}, RequestStatus.REJECTED),
    "cancel": ({RequestStatus.PENDING}, RequestStatus.CANCELLED),
    "expire": ({RequestStatus.PENDING}, RequestStatus.EXPIRED),
}


class LinkNoLongerValid(PortalError):
    status_code = 404

    def __init__(self):
        super().__init__("This request is no longer open: it was decided, cancelled or expired.")


def request_access(institution: Institution, *, actor: User) -> Enrollment:
    """Ask `institution`'s practice to let the actor's organization use its Synchronizer.

    The enrollment waits in `awaiting_consent`, asking for every location of the practice;
    the practice is emailed a link. Raises InvalidTransition when the organization cannot
    ask now (already waiting or live) or the practice has no email address.
    """
    enrollment = add_request(institution, organization=actor.organization, actor=actor)
    commit()
    return enrollment


def add_request(institution: Institution, *, organization: Organization, actor: User | None):
    """`request_access` without the commit, for the CSV import's single transaction."""
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == organization.id,
            Enrollment.institution_id == institution.id,
        )
    ) or enrollments.start(organization, institution, Mode.PRODUCTION)
    db.session.flush()
    enrollments.check(enrollment, "request_access")
    _check_pause(organization, institution)
    request = AccessRequest(
        enrollment_id=enrollment.id,
        organization_id=organization.id,
        institution_id=institution.id,
        token_digest="",
        expires_at=clock.now(),
    )
    db.session.add(request)
    raw = _new_link(request)
    enrollments.follow_request(request, actor=actor)  # awaiting consent, for every location
    email.access_requested(request, enrollment, raw)
    audit.record(
        "access.requested",
        actor=actor,
        organization=organization,
        target=request,
        institution=institution.name,
    )
    return enrollment


def may_ask_again(enrollment: Enrollment) -> bool:
    """Whether `request_again` applies: the practice denied, let expire or revoked the
    organization's access, or the organization cancelled its own request."""
    return enrollment.status_reason in enrollments.ACCESS_CLOSED or access.request_cancelled(
        enrollment
    )


def ask_pause(enrollment: Enrollment) -> access.Pause | None:
    """Why and until when `request_again` (where `may_ask_again`) would be refused now."""
    institution = enrollment.institution
    return access.pause(enrollment.organization_id, institution.id, institution.name)


def request_again(enrollment: Enrollment, *, actor: User) -> Enrollment:
    """After a denial, an expiry or a cancellation: ask the practice once more."""
    _require_own(enrollment, actor)
    return request_access(enrollment.institution, actor=actor)


def _check_pause(organization: Organization, institution: Institution) -> None:
    paused = access.pause(organization.id, institution.id, institution.name)
    if paused is not None:
        wait = int((paused.until - clock.now()).total_seconds()) + 1
        raise RateLimited(
            f"{paused.reason} You can ask again from {readable.when(paused.until)}; until "
            "then, call the practice.",
            wait,
        )


def find_by_link(raw: str) -> AccessRequest:
    """The pending request a link points to (expiring it if its time is up)."""
    request = db.session.scalar(
        select(AccessRequest).where(AccessRequest.token_digest == secrets.digest(raw))
    )
    return _still_pending(request)


def decide_by_link(raw: str, *, grant: bool, evidence: Evidence | None = None) -> AccessRequest:
    """The practice's POST from the confirmation page: grant or deny this one request.

    Entry points pass the evidence (address, browser, consent text version shown); raises
    ConsentTextChanged, changing nothing, if the page showed an older text."""
    consent_evidence.check(evidence)
    request = find_by_link(raw)
    (_grant if grant else _deny)(request, via="email link", evidence=evidence)
    commit()
    return request


def decide(
    request_id: int, *, practice: Institution, grant: bool, evidence: Evidence | None = None
) -> AccessRequest:
    """The same decision from the practice's signed-in Apps page."""
    consent_evidence.check(evidence)
    request = db.session.scalar(
        select(AccessRequest).where(
            AccessRequest.id == request_id, AccessRequest.institution_id == practice.id
        )
    )
    if request is None:
        tenancy.probe_audited(
            AccessRequest, [request_id], AccessRequest.institution_id != practice.id
        )
    request = _still_pending(request)
    (_grant if grant else _deny)(request, via="practice page", evidence=evidence)
    commit()
    return request


def resend(enrollment: Enrollment, *, actor: User) -> Enrollment:
    """Email the practice again with a new link (the old one dies). Once every 10 minutes."""
    _require_own(enrollment, actor)
    request = _open_request(enrollment)
    wait = request.last_sent_at + RESEND_INTERVAL - clock.now()
    if wait > timedelta(0):
        minutes = int(wait.total_seconds() // 60) + 1
        raise RateLimited(
            f"The practice was emailed moments ago. Resend in {minutes} minutes.",
            int(wait.total_seconds()) + 1,
        )
    email.access_requested(request, enrollment, _new_link(request))
    audit.record("access.resent", actor=actor, target=request)
    commit()
    return enrollment


def cancel(enrollment: Enrollment, *, actor: User) -> Enrollment:
    """Withdraw the organization's pending request; its link stops working."""
    _require_own(enrollment, actor)
    _cancel(_open_request(enrollment), actor=actor)
    commit()
    return enrollment


def cancel_by_staff(requests: list[AccessRequest], *, actor: User) -> Outcome:
    """Ops withdraw pending requests (e.g. a practice that asked them to): each link stops
    working and its enrollment is closed as a developer's cancel would; the developer is
    emailed. Requests no longer pending are skipped. Forbidden unless staff."""
    _require_staff(actor)

    def cancel_one(request: AccessRequest) -> None:
        email.access_closed(_cancel(request, actor=actor), "was cancelled by our team")

    outcome = each(requests, cancel_one)
    commit()
    return outcome


def expire_by_staff(requests: list[AccessRequest], *, actor: User) -> Outcome:
    """Ops expire pending requests now rather than at day 30: the enrollment fails with
    "consent expired", as on expiry. Skips requests no longer pending; Forbidden unless staff."""
    _require_staff(actor)
    outcome = each(requests, lambda request: _expire(request, actor=actor))
    commit()
    return outcome


def expire_due(organization: Organization | None = None) -> int:
    """Expire pending requests older than 30 days (`flask requests expire`, and on read)."""
    query = select(AccessRequest).where(
        AccessRequest.status == RequestStatus.PENDING, AccessRequest.expires_at <= clock.now()
    )
    if organization is not None:
        query = query.where(AccessRequest.organization_id == organization.id)
    outcome = each(list(db.session.scalars(query)), lambda r: _expire(r, actor=None))
    commit()
    return len(outcome.done)


def expire_due_for(institution: Institution) -> None:
    """The same for one practice, before its Apps page is shown."""
    due = select(AccessRequest).where(
        AccessRequest.institution_id == institution.id,
        AccessRequest.status == RequestStatus.PENDING,
        AccessRequest.expires_at <= clock.now(),
    )
    each(list(db.session.scalars(due)), lambda request: _expire(request, actor=None))
    commit()


def _require_own(enrollment: Enrollment, actor: User) -> None:
    if actor.organization_id != enrollment.organization_id:
        raise tenancy.refused(Enrollment, enrollment.id, "No such institution.")


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden("Only staff cancel or expire access requests.")


def _new_link(request: AccessRequest) -> str:
    """A fresh link for the request (the previous one dies) and 30 more days."""
    raw, now = secrets.token(), clock.now()
    request.token_digest, request.last_sent_at = secrets.digest(raw), now
    request.expires_at = now + LIFETIME
    db.session.flush()
    return raw


def _grant(request: AccessRequest, *, via: str, evidence: Evidence | None) -> None:
    enrollment = _decide(request, "grant", actor=None)
    proof = consent_evidence.store(request, evidence)
    audit.record(
        "access.granted",
        actor=None,
        organization=enrollment.organization,
        target=request,
        via=via,
        **proof,
    )
    email.access_decided(enrollment, granted=True)


def _deny(request: AccessRequest, *, via: str, evidence: Evidence | None) -> None:
    enrollment = _decide(request, "deny", actor=None)
    proof = consent_evidence.store(request, evidence)
    audit.record(
        "access.denied",
        actor=None,
        organization=enrollment.organization,
        target=request,
        via=via,
        **proof,
    )
    email.access_decided(enrollment, granted=False)


def _cancel(request: AccessRequest, *, actor: User) -> Enrollment:
    enrollment = _decide(request, "cancel", actor=actor)
    audit.record(
        "access.cancelled", actor=actor, organization=enrollment.organization, target=request
    )
    return enrollment


def _expire(request: AccessRequest, *, actor: User | None) -> None:
    enrollment = _decide(request, "expire", actor=actor)
    audit.record(
        "access.expired", actor=actor, organization=enrollment.organization, target=request
    )
    email.access_closed(enrollment, "expired before the practice answered")


def _decide(request: AccessRequest, operation: str, *, actor: User | None) -> Enrollment:
    # One conditional UPDATE: of two concurrent decisions, one applies; the other is told.
    allowed, target = TRANSITIONS[operation]
    if not claim(request, AccessRequest.status.in_(allowed), status=target, decided_at=clock.now()):
        raise Conflict(f"This request is already {request.status.value}.")
    return enrollments.follow_request(request, actor=actor)


def _still_pending(request: AccessRequest | None) -> AccessRequest:
    if request is not None:
        _expire_if_due(request)
    if request is None or request.status is not RequestStatus.PENDING:
        audit.denial("link", link="access request")
        raise LinkNoLongerValid()
    return request


def _open_request(enrollment: Enrollment) -> AccessRequest:
    request = db.session.scalar(
        select(AccessRequest).where(
            AccessRequest.enrollment_id == enrollment.id,
            AccessRequest.status == RequestStatus.PENDING,
        )
    )
    if request is not None and _expire_if_due(request):
        request = None
    if request is None:
        raise Conflict("There is no open access request for this institution.")
    return request


def _expire_if_due(request: AccessRequest) -> bool:
    """Expire a pending request whose time is up (committed at once); True if it expired."""
    if request.status is not RequestStatus.PENDING or request.expires_at > clock.now():
        return False
    try:
        _expire(request, actor=None)
    except Conflict:
        return False  # decided meanwhile: the claim re-read it
    commit()
    return True
