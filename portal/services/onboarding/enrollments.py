"""The onboarding lifecycle of an enrollment (one organization and one institution).

Each named operation below may only start from the statuses listed; anything else is
refused with InvalidTransition. Sync events (see `syncs.py`) drive most of them.
"""

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    Location,
    LocationGrant,
    Mode,
    Organization,
    User,
)
from portal.services import InvalidTransition, PortalError, audit, commit

S = EnrollmentStatus

# operation: (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[EnrollmentStatus], EnrollmentStatus]] = {
    "request_credentials": (frozenset({S.NEEDS_SYNC, S.INSTALLING}), S.NEEDS_CREDENTIALS),
    "request_schedule": (frozenset({S.NEEDS_SYNC}), S.NEEDS_SCHEDULE),
    "start_install": (
        frozenset({S.NEEDS_SYNC, S.NEEDS_CREDENTIALS, S.NEEDS_SCHEDULE}),
        S.INSTALLING,
    ),
    "request_locations": (frozenset({S.INSTALLING, S.LIVE}), S.NEEDS_LOCATIONS),
    "go_live": (frozenset({S.INSTALLING, S.NEEDS_LOCATIONS}), S.LIVE),
    "fail": (frozenset({S.INSTALLING, S.NEEDS_LOCATIONS, S.LIVE}), S.FAILED),
    "retry": (frozenset({S.FAILED}), S.INSTALLING),
    # Using a practice's existing Synchronizer: the practice consents (see consent.py).
    "request_access": (frozenset({S.NEEDS_SYNC, S.FAILED, S.DEACTIVATED}), S.AWAITING_CONSENT),
    "consent": (frozenset({S.AWAITING_CONSENT}), S.LIVE),
    "refuse_consent": (frozenset({S.AWAITING_CONSENT}), S.FAILED),
    "cancel_request": (frozenset({S.AWAITING_CONSENT}), S.DEACTIVATED),
    "deactivate": (frozenset(set(S) - {S.DEACTIVATED}), S.DEACTIVATED),
}

LABELS = {
    S.NEEDS_SYNC: "Needs sync",
    S.NEEDS_CREDENTIALS: "Needs credentials",
    S.NEEDS_SCHEDULE: "Needs schedule",
    S.NEEDS_LOCATIONS: "Needs locations",
    S.INSTALLING: "Installing",
    S.AWAITING_CONSENT: "Awaiting consent",
    S.FAILED: "Failed",
    S.LIVE: "Live",
    S.DEACTIVATED: "Deactivated",
}
VERBS = {
    "request_credentials": "ask for credentials",
    "request_schedule": "ask for install windows",
    "start_install": "start the install",
    "request_locations": "ask which locations to activate",
    "go_live": "go live",
    "fail": "mark it failed",
    "retry": "retry",
    "request_access": "request access",
    "consent": "record the practice's consent",
    "refuse_consent": "record a refused consent",
    "cancel_request": "cancel the access request",
    "deactivate": "deactivate it",
}


def can(enrollment: Enrollment, operation: str) -> bool:
    return enrollment.status in TRANSITIONS[operation][0]


def _move(enrollment: Enrollment, operation: str, *, actor: User | None, reason: str = "") -> None:
    allowed, target = TRANSITIONS[operation]
    if enrollment.status not in allowed:
        wanted = ", ".join(sorted(LABELS[s].lower() for s in allowed))
        raise InvalidTransition(
            f"{enrollment.institution.name} is {LABELS[enrollment.status].lower()}: "
            f"cannot {VERBS[operation]} (only when {wanted})."
        )
    previous = enrollment.status
    enrollment.status, enrollment.status_reason = target, reason
    enrollment.status_changed_at = clock.now()
    audit.record(
        f"enrollment.{operation}",
        actor=actor,
        organization=enrollment.organization,
        target=enrollment,
        before=previous.value,
        after=target.value,
        reason=reason,
    )


def request_credentials(enrollment: Enrollment, *, actor=None, reason: str = "") -> None:
    """A cloud sync needs its credentials (created, or the last ones were rejected)."""
    _move(enrollment, "request_credentials", actor=actor, reason=reason)


def request_schedule(enrollment: Enrollment, *, actor=None) -> None:
    """A scheduled-install sync needs the developer's install windows."""
    _move(enrollment, "request_schedule", actor=actor)


def start_install(enrollment: Enrollment, *, actor=None) -> None:
    """A product key was issued, credentials submitted or windows proposed."""
    _move(enrollment, "start_install", actor=actor)


def request_locations(enrollment: Enrollment, *, actor=None) -> None:
    """The sync found several locations; the developer picks the ones to activate."""
    _move(enrollment, "request_locations", actor=actor)


def go_live(enrollment: Enrollment, *, actor=None) -> None:
    _move(enrollment, "go_live", actor=actor)


def fail(enrollment: Enrollment, *, reason: str, actor=None) -> None:
    _move(enrollment, "fail", actor=actor, reason=reason)


def retry(enrollment: Enrollment, *, actor=None) -> None:
    _move(enrollment, "retry", actor=actor)


def request_access(enrollment: Enrollment, *, actor=None) -> None:
    _move(enrollment, "request_access", actor=actor)


def consent(enrollment: Enrollment, *, actor=None) -> None:
    _move(enrollment, "consent", actor=actor)


def refuse_consent(enrollment: Enrollment, *, reason: str = "consent refused", actor=None) -> None:
    _move(enrollment, "refuse_consent", actor=actor, reason=reason)


def cancel_request(enrollment: Enrollment, *, actor=None) -> None:
    _move(enrollment, "cancel_request", actor=actor)


def deactivate(enrollment: Enrollment, *, reason: str = "", actor=None) -> None:
    _move(enrollment, "deactivate", actor=actor, reason=reason)


def start(organization: Organization, institution: Institution, mode: Mode) -> Enrollment:
    """A new enrollment waiting for its first sync (added to the session, not committed)."""
    enrollment = Enrollment(
        organization=organization, institution=institution, mode=mode, status=S.NEEDS_SYNC
    )
    db.session.add(enrollment)
    return enrollment


def grant(enrollment: Enrollment, locations: list[Location]) -> None:
    """Activate the enrollment's access to `locations` (existing active grants stay as is)."""
    held = {g.location_id for g in enrollment.grants if g.status is GrantStatus.ACTIVE}
    now = clock.now()
    for location in locations:
        if location.id not in held:
            db.session.add(
                LocationGrant(
                    enrollment=enrollment,
                    location=location,
                    status=GrantStatus.ACTIVE,
                    requested_at=now,
                    activated_at=now,
                )
            )


def active_grant_count(enrollment: Enrollment) -> int:
    return sum(1 for g in enrollment.grants if g.status is GrantStatus.ACTIVE)


def settle_locations(enrollment: Enrollment, *, actor=None) -> None:
    """After an install completes: one (or no) location goes live at once, several wait for
    the developer to choose. A live enrollment that already has access stays as it is."""
    if enrollment.status is S.LIVE and active_grant_count(enrollment):
        return
    locations = enrollment.institution.locations
    if len(locations) > 1:
        if enrollment.status is not S.NEEDS_LOCATIONS:
            request_locations(enrollment, actor=actor)
        return
    grant(enrollment, locations)
    if enrollment.status is not S.LIVE:
        go_live(enrollment, actor=actor)


def select_locations(enrollment: Enrollment, location_ids: list[int], *, actor: User) -> None:
    """Activate the chosen locations of a `needs_locations` enrollment and make it live.

    Raises PortalError when nothing (or a location of another institution) is chosen, and
    InvalidTransition when the enrollment is not waiting for a choice.
    """
    if enrollment.status is not S.NEEDS_LOCATIONS:
        raise InvalidTransition(
            f"{enrollment.institution.name} is {LABELS[enrollment.status].lower()}: "
            "there are no locations to select."
        )
    wanted = set(location_ids)
    locations = db.session.scalars(
        select(Location).where(
            Location.institution_id == enrollment.institution_id, Location.id.in_(wanted)
        )
    ).all()
    if not wanted or len(locations) != len(wanted):
        raise PortalError("Choose at least one of this institution's locations.")
    grant(enrollment, list(locations))
    go_live(enrollment, actor=actor)
    audit.record(
        "enrollment.locations_selected",
        actor=actor,
        target=enrollment,
        locations=sorted(wanted),
    )
    commit()
