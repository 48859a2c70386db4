"""Deactivating an institution, or some of its locations: billing stops at that moment.

Nothing is deleted: grants keep their activation and deactivation times, which is what
billing reads. Deactivating every active location deactivates the enrollment itself.
"""

from portal import clock
from portal.models import Enrollment, EnrollmentStatus, GrantStatus, Location, User
from portal.services import Forbidden, PortalError, audit, commit
from portal.services.onboarding import enrollments


def active_locations(enrollment: Enrollment) -> list[Location]:
    return [g.location for g in enrollment.grants if g.status is GrantStatus.ACTIVE]


def deactivate(actor: User, enrollment: Enrollment, location_ids: list[int] | None = None):
    """Deactivate the whole enrollment (no ids) or the chosen active locations.

    Returns the names of the locations that stopped. Raises PortalError for a choice that
    is not among the active locations, InvalidTransition for an already deactivated one.
    """
    names = _deactivate(actor, enrollment, location_ids)
    commit()
    return names


def deactivate_many(staff: User, chosen: list[Enrollment]) -> int:
    """Ops' bulk action: deactivate each enrollment not yet deactivated, in one transaction."""
    if not staff.is_staff:
        raise Forbidden("Only staff deactivate in bulk.")
    todo = [e for e in chosen if e.status is not EnrollmentStatus.DEACTIVATED]
    for enrollment in todo:
        _deactivate(staff, enrollment, None)
    commit()
    return len(todo)


def _deactivate(actor: User, enrollment: Enrollment, location_ids: list[int] | None) -> list[str]:
    active = {g.location_id: g for g in enrollment.grants if g.status is GrantStatus.ACTIVE}
    whole = location_ids is None or set(location_ids) >= set(active)
    if not whole and (not location_ids or not set(location_ids) <= set(active)):
        raise PortalError("Choose one or more of the active locations.")
    stopping = list(active) if whole else list(dict.fromkeys(location_ids))
    now = clock.now()
    for location_id in stopping:
        active[location_id].status = GrantStatus.DEACTIVATED
        active[location_id].deactivated_at = now
    names = [active[i].location.name for i in stopping]
    if whole:
        for grant in enrollment.grants:
            if grant.status is GrantStatus.REQUESTED:
                grant.status, grant.deactivated_at = GrantStatus.DEACTIVATED, now
        reason = "deactivated by staff" if actor.is_staff else "deactivated by the developer"
        enrollments.deactivate(enrollment, actor=actor, reason=reason)
    audit.record(
        "enrollment.locations_deactivated",
        actor=actor,
        organization=enrollment.organization,
        target=enrollment,
        locations=names,
        whole=whole,
    )
    return names
