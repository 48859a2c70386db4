"""The onboarding lifecycle of an enrollment (one organization and one institution).

The table is the whole rule: a step starts only from the statuses listed and when its
guards pass, or is refused with InvalidTransition in the table's words. `move` is the only
code that changes an enrollment's status: check, one conditional UPDATE (a racer that lost
is told what the winner did), the step's effect on the grants, the audit row. Enrollments
follow their own sync (`follow`, `settle`) and the practice's answer (`follow_request`).
"""

from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select

from portal import clock
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
    Sync,
    SyncStage,
    User,
)
from portal.services import InvalidTransition, audit
from portal.services.claims import claim
from portal.services.onboarding import access, grants


@dataclass(frozen=True)
class Step:
    verb: str  # completes "cannot ..." in a refusal
    start: frozenset[EnrollmentStatus]
    to: EnrollmentStatus | None  # None: a check before acting; the status stays
    guards: tuple[str, ...] = ()
    effect: str | None = None  # what happens to the location grants


def _step(verb, start, to, guards=(), effect=None) -> Step:
    return Step(verb, frozenset(start), to, tuple(guards), effect)


EVERY = set(EnrollmentStatus)
TRANSITIONS: dict[str, Step] = {
    # Following the organization's own sync (FOLLOW_SYNC)
    "request_credentials": _step("ask for credentials",
                                 {EnrollmentStatus.NEEDS_SYNC, EnrollmentStatus.INSTALLING},
                                 EnrollmentStatus.NEEDS_CREDENTIALS),
    "request_schedule": _step("ask for install windows", {EnrollmentStatus.NEEDS_SYNC},
                              EnrollmentStatus.NEEDS_SCHEDULE),
    "start_install": _step("start the install",
                           {EnrollmentStatus.NEEDS_SYNC, EnrollmentStatus.NEEDS_CREDENTIALS,
                            EnrollmentStatus.NEEDS_SCHEDULE}, EnrollmentStatus.INSTALLING),
    "request_locations": _step("ask which locations to activate",
                               {EnrollmentStatus.INSTALLING, EnrollmentStatus.LIVE},
                               EnrollmentStatus.NEEDS_LOCATIONS),
    "go_live": _step("go live", {EnrollmentStatus.INSTALLING, EnrollmentStatus.NEEDS_LOCATIONS},
                     EnrollmentStatus.LIVE, effect="grant"),
    "fail": _step("mark it failed",
                  {EnrollmentStatus.INSTALLING, EnrollmentStatus.NEEDS_LOCATIONS,
                   EnrollmentStatus.LIVE}, EnrollmentStatus.FAILED),
    "retry": _step("retry", {EnrollmentStatus.FAILED}, EnrollmentStatus.INSTALLING),
    # Following the practice's answer to an access request (FOLLOW_REQUEST; consent.py)
    "request_access": _step("request access",
                            {EnrollmentStatus.NEEDS_SYNC, EnrollmentStatus.FAILED,
                             EnrollmentStatus.DEACTIVATED}, EnrollmentStatus.AWAITING_CONSENT,
                            ["practice_email"], "request_all"),
    "consent": _step("record the practice's consent", {EnrollmentStatus.AWAITING_CONSENT},
                     EnrollmentStatus.LIVE, effect="activate_requested"),
    "refuse_consent": _step("record a refused consent", {EnrollmentStatus.AWAITING_CONSENT},
                            EnrollmentStatus.FAILED, effect="stop_all"),
    "cancel_request": _step("cancel the access request", {EnrollmentStatus.AWAITING_CONSENT},
                            EnrollmentStatus.DEACTIVATED, effect="stop_all"),
    # The developer, staff or the practice
    "select_locations": _step("select locations", {EnrollmentStatus.NEEDS_LOCATIONS},
                              EnrollmentStatus.LIVE, ["locations_chosen"], "grant"),
    "deactivate": _step("deactivate it", EVERY - {EnrollmentStatus.DEACTIVATED},
                        EnrollmentStatus.DEACTIVATED, effect="stop_all"),
    # Checks before acting (no status change)
    "deactivate_locations": _step("deactivate locations", EVERY - {EnrollmentStatus.DEACTIVATED},
                                  None, ["active_locations_chosen"]),
    "add_sync": _step("add a sync",
                      EVERY - {EnrollmentStatus.AWAITING_CONSENT, EnrollmentStatus.DEACTIVATED},
                      None, ["access"]),
    "request_activation": _step("activate more locations", {EnrollmentStatus.LIVE}, None,
                                ["locations_offered"]),
}  # fmt: skip

# The step an enrollment takes when its organization's own sync reaches a stage (the first
# one it is at); an active sync settles the locations instead (`settle`).
FOLLOW_SYNC = {
    SyncStage.NEEDS_CREDENTIALS: ("request_credentials",),
    SyncStage.NEEDS_SCHEDULE: ("request_schedule",),
    SyncStage.INSTALLING: ("start_install", "retry"),
    SyncStage.FAILED: ("fail",),
    SyncStage.ACTIVE: (),
}
# The step it takes when the practice answers its access request, and the reason shown.
DENIED, EXPIRED, REVOKED = (
    "access denied by the practice",
    "consent expired",
    "access revoked by the practice",
)
FOLLOW_REQUEST = {
    RequestStatus.PENDING: ("request_access", ""),
    RequestStatus.APPROVED: ("consent", ""),
    RequestStatus.REJECTED: ("refuse_consent", DENIED),
    RequestStatus.EXPIRED: ("refuse_consent", EXPIRED),
    RequestStatus.CANCELLED: ("cancel_request", ""),
}
ACCESS_CLOSED = {DENIED, EXPIRED, REVOKED}  # the practice said no: the developer may ask again

# "Needs sync", "Awaiting consent": what the Institutions page and refusals call each status.
LABELS = {status: status.label for status in EnrollmentStatus}


def refusal(enrollment: Enrollment, operation: str, **context) -> str | None:
    """Why `operation` cannot happen to `enrollment` now (the table's words), or None."""
    step, name = TRANSITIONS[operation], enrollment.institution.name
    if enrollment.status not in step.start:
        label = LABELS[enrollment.status].lower()
        if enrollment.status is step.to:
            return f"{name} is already {label}: cannot {step.verb} again."
        if len(step.start) > len(EVERY) // 2:  # allowed almost always: say what stops it
            return f"{name} is {label}: cannot {step.verb}."
        wanted = ", ".join(sorted(LABELS[s].lower() for s in step.start))
        return f"{name} is {label}: cannot {step.verb} (only when {wanted})."
    for guard in step.guards:
        refused = GUARDS[guard](enrollment, context)
        if refused:
            return refused
    return None


def check(enrollment: Enrollment, operation: str, **context) -> None:
    """Raise InvalidTransition unless `operation` may happen to `enrollment` now."""
    refused = refusal(enrollment, operation, **context)
    if refused:
        raise InvalidTransition(refused)


def move(enrollment: Enrollment, operation: str, *, actor: User | None, reason="", **context):
    """Take the step `operation` (with `context` for its guards and effect) or raise
    InvalidTransition with the reason. Does not commit."""
    check(enrollment, operation, **context)
    step, before = TRANSITIONS[operation], enrollment.status
    won = claim(
        enrollment,
        Enrollment.status.in_(step.start),
        status=step.to,
        status_reason=reason,
        status_changed_at=clock.now(),
    )
    if not won:
        raise InvalidTransition(refusal(enrollment, operation) or "It changed meanwhile.")
    if step.effect is not None:
        EFFECTS[step.effect](enrollment, context)
    audit.record(
        f"enrollment.{operation}",
        actor=actor,
        organization=enrollment.organization,
        target=enrollment,
        before=before.value,
        after=step.to.value,
        reason=reason,
    )


def start(organization: Organization, institution: Institution, mode: Mode) -> Enrollment:
    """A new enrollment waiting for its first sync (added to the session, not committed)."""
    enrollment = Enrollment(
        organization=organization,
        institution=institution,
        mode=mode,
        status=EnrollmentStatus.NEEDS_SYNC,
    )
    db.session.add(enrollment)
    return enrollment


def follow(enrollment: Enrollment, sync: Sync, *, actor: User | None, reason="", added=False):
    """Take the step the organization's own sync now calls for, when the enrollment is at
    that step (live through another sync, say, it stays). A sync just `added` moves only an
    enrollment still waiting for its first sync."""
    if sync.created_by_org_id != enrollment.organization_id:
        return
    if added and enrollment.status is not EnrollmentStatus.NEEDS_SYNC:
        return
    if sync.status is SyncStage.ACTIVE:
        _settle(enrollment, actor=actor)
        return
    operation = following(enrollment.status, sync.status)
    if operation is not None:
        move(enrollment, operation, actor=actor, reason=reason)


def following(status: EnrollmentStatus, stage: SyncStage) -> str | None:
    """The step an enrollment at `status` takes when its own sync reaches `stage` (not
    active), or None when it stays."""
    for operation in FOLLOW_SYNC[stage]:
        if status in TRANSITIONS[operation].start:
            return operation
    return None


def settle(sync: Sync, *, actor: User | None = None) -> None:
    """After a report of an installed sync: its organization's enrollment takes the
    locations (see `_settle`), when it still can change."""
    # One query finds the enrollment only when settling can change it, so a steady
    # heartbeat reads nothing more.
    enrollment = db.session.scalar(
        select(Enrollment).where(unsettled(sync.created_by_org_id, sync.institution_id))
    )
    if enrollment is not None:
        _settle(enrollment, actor=actor)


def unsettled(organization_id, institution_id):
    """The condition on enrollments that settling can change: the organization's enrollment
    in the institution (values or columns) is installing, or live without an active grant."""
    return and_(
        Enrollment.organization_id == organization_id,
        Enrollment.institution_id == institution_id,
        or_(
            Enrollment.status == EnrollmentStatus.INSTALLING,
            and_(
                Enrollment.status == EnrollmentStatus.LIVE,
                ~exists().where(
                    LocationGrant.enrollment_id == Enrollment.id,
                    LocationGrant.status == GrantStatus.ACTIVE,
                ),
            ),
        ),
    )


def _settle(enrollment: Enrollment, *, actor: User | None) -> None:
    # One (or no) location goes live at once; several wait for the developer to choose. A
    # live enrollment that already has access stays as it is.
    if enrollment.status is EnrollmentStatus.LIVE and grants.active(enrollment):
        return
    locations = enrollment.institution.locations
    if len(locations) > 1:
        if enrollment.status is not EnrollmentStatus.NEEDS_LOCATIONS:
            move(enrollment, "request_locations", actor=actor)
    elif enrollment.status is EnrollmentStatus.LIVE:
        grants.grant(enrollment, locations)
    else:
        move(enrollment, "go_live", actor=actor, locations=locations)


def follow_request(request: AccessRequest, *, actor: User | None) -> Enrollment:
    """Take the step the practice's answer to an access request calls for."""
    enrollment = db.session.get(Enrollment, request.enrollment_id)
    operation, reason = FOLLOW_REQUEST[request.status]
    move(enrollment, operation, actor=actor, reason=reason)
    return enrollment


def _access(enrollment: Enrollment, context: dict) -> str | None:
    if access.has_access(enrollment):
        return None
    return "The practice has not granted your organization access to its Synchronizer yet."


def _practice_email(enrollment: Enrollment, context: dict) -> str | None:
    if enrollment.institution.email:
        return None
    return (
        f"{enrollment.institution.name} has no email address on file to ask for consent. "
        "Contact support and we will reach the practice."
    )


def _chosen(message: str):
    # The chosen ids are all among the offered ones, and there is at least one.
    def guard(enrollment: Enrollment, context: dict) -> str | None:
        chosen, offered = context.get("chosen", set()), context.get("offered", set())
        return None if chosen and chosen <= offered else message

    return guard


GUARDS = {
    "access": _access,
    "practice_email": _practice_email,
    "locations_chosen": _chosen("Choose at least one of this institution's locations."),
    "active_locations_chosen": _chosen("Choose one or more of the active locations."),
    "locations_offered": _chosen("Choose one or more of the locations offered."),
}
EFFECTS = {
    "grant": lambda enrollment, context: grants.grant(enrollment, context["locations"]),
    "request_all": lambda enrollment, context: grants.request_all(enrollment),
    "activate_requested": lambda enrollment, context: grants.activate_requested(enrollment),
    "stop_all": lambda enrollment, context: grants.stop(enrollment.grants),
}
