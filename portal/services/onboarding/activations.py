"""Activating locations: after an install finds several, the developer selects the ones to
activate; later, a live enrollment asks for more of its institution's locations and staff
fulfil or reject the request (the developer is emailed either way)."""

from sqlalchemy import select

from portal import email
from portal.extensions import db
from portal.models import (
    ActivationRequest,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Location,
    RequestStatus,
    User,
)
from portal.services import audit, commit, decisions
from portal.services.onboarding import enrollments, grants
from portal.services.outcomes import Outcome


def select_locations(enrollment: Enrollment, location_ids: list[int], *, actor: User):
    """Activate the chosen locations of a `needs_locations` enrollment and make it live.

    Raises InvalidTransition when the enrollment is not waiting for a choice, or when
    nothing (or a location of another institution) is chosen.
    """
    offered = {location.id: location for location in enrollment.institution.locations}
    chosen = set(location_ids)
    locations = [offered[i] for i in sorted(chosen) if i in offered]
    enrollments.move(
        enrollment,
        "select_locations",
        actor=actor,
        chosen=chosen,
        offered=set(offered),
        locations=locations,
    )
    audit.record(
        "enrollment.locations_selected", actor=actor, target=enrollment, locations=sorted(chosen)
    )
    commit()
    return enrollment


def available_locations(enrollment: Enrollment) -> list[Location]:
    """The institution's locations this enrollment has no active or pending access to."""
    held = {g.location_id for g in grants.active(enrollment)}
    pending = _pending_ids(enrollment)
    return [loc for loc in enrollment.institution.locations if loc.id not in held | pending]


def _pending_ids(enrollment: Enrollment) -> set[int]:
    return set(
        db.session.scalars(
            select(Location.id)
            .join(ActivationRequest.locations)
            .where(ActivationRequest.enrollment_id == enrollment.id)
            .where(ActivationRequest.status == RequestStatus.PENDING)
        )
    )


def location_access(enrollment: Enrollment) -> dict[int, GrantStatus]:
    """Each location's access for the institution page: active, requested (asked of the
    practice or of our staff), deactivated; locations never asked for are absent."""
    access: dict[int, GrantStatus] = {}
    for grant in enrollment.grants:  # oldest first: the latest grant of a location wins
        access[grant.location_id] = grant.status
    for location_id in _pending_ids(enrollment):
        if access.get(location_id) is not GrantStatus.ACTIVE:
            access[location_id] = GrantStatus.REQUESTED
    return access


def request(enrollment: Enrollment, location_ids: list[int], *, actor: User) -> ActivationRequest:
    """Ask staff to activate the chosen locations of a live enrollment.

    Raises InvalidTransition unless live, and for an empty or foreign choice.
    """
    offered = {loc.id: loc for loc in available_locations(enrollment)}
    chosen = set(location_ids)
    enrollments.check(enrollment, "request_activation", chosen=chosen, offered=set(offered))
    activation = ActivationRequest(
        enrollment_id=enrollment.id,
        organization_id=enrollment.organization_id,
        requested_by_id=actor.id,
        locations=[offered[i] for i in sorted(chosen)],
    )
    db.session.add(activation)
    db.session.flush()
    audit.record("activation.requested", actor=actor, target=activation, locations=sorted(chosen))
    commit()
    return activation


def fulfil(requests: list[ActivationRequest], *, actor: User) -> Outcome:
    """Activate the requested locations of each pending request; email the requester."""
    return decisions.approve(
        requests,
        actor=actor,
        kind="activation",
        refusal=_no_longer_live,
        apply=lambda activation: grants.grant(activation.enrollment, activation.locations),
        notify=email.activation_decided,
    )


def reject(requests: list[ActivationRequest], *, reason: str, actor: User) -> Outcome:
    return decisions.reject(
        requests,
        reason=reason,
        actor=actor,
        kind="activation",
        reader="the developer",
        notify=email.activation_decided,
    )


def _no_longer_live(activation: ActivationRequest) -> str | None:
    if activation.enrollment.status is EnrollmentStatus.LIVE:
        return None
    return "its institution is no longer live; reject it instead."
