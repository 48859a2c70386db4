"""Activate additional locations: a live enrollment asks for more of its institution's
locations; staff fulfil or reject the request; the developer is emailed either way."""

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
from portal.services import InvalidTransition, PortalError, audit, commit
from portal.services.onboarding import enrollments, staff_decisions

R = RequestStatus


def available_locations(enrollment: Enrollment) -> list[Location]:
    """The institution's locations this enrollment has no active or pending access to."""
    held = {g.location_id for g in enrollment.grants if g.status is GrantStatus.ACTIVE}
    pending = set(
        db.session.scalars(
            select(Location.id)
            .join(ActivationRequest.locations)
            .where(ActivationRequest.enrollment_id == enrollment.id)
            .where(ActivationRequest.status == R.PENDING)
        )
    )
    return [loc for loc in enrollment.institution.locations if loc.id not in held | pending]


def request(actor: User, enrollment: Enrollment, location_ids: list[int]) -> ActivationRequest:
    """Ask staff to activate the chosen locations of a live enrollment.

    Raises InvalidTransition unless live, PortalError for an empty or foreign choice.
    """
    if enrollment.status is not EnrollmentStatus.LIVE:
        raise InvalidTransition("Only a live institution can activate more locations.")
    offered = {loc.id: loc for loc in available_locations(enrollment)}
    chosen = [offered[i] for i in dict.fromkeys(location_ids) if i in offered]
    if not chosen or len(chosen) != len(set(location_ids)):
        raise PortalError("Choose one or more of the locations offered.")
    activation = ActivationRequest(
        enrollment_id=enrollment.id,
        organization_id=enrollment.organization_id,
        requested_by_id=actor.id,
        locations=chosen,
    )
    db.session.add(activation)
    db.session.flush()
    audit.record(
        "activation.requested", actor=actor, target=activation, locations=[loc.id for loc in chosen]
    )
    commit()
    return activation


def fulfil(staff: User, requests: list[ActivationRequest]) -> int:
    """Activate the requested locations of each pending request; email the requester."""
    decided = _decide(staff, requests, R.APPROVED, reason="")
    for activation in decided:
        enrollment = activation.enrollment
        if enrollment.status is EnrollmentStatus.LIVE:
            enrollments.grant(enrollment, activation.locations)
    commit()
    return len(decided)


def reject(staff: User, requests: list[ActivationRequest], *, reason: str) -> int:
    reason = staff_decisions.require_reason(reason, "the developer")
    decided = _decide(staff, requests, R.REJECTED, reason=reason)
    commit()
    return len(decided)


def _decide(staff: User, requests: list[ActivationRequest], status: RequestStatus, *, reason: str):
    return staff_decisions.decide(
        staff, requests, status, reason=reason, kind="activation", notify=email.activation_decided
    )
