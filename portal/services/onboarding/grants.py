"""An enrollment's location grants (requested, active, deactivated): what billing counts and
what the API reaches. Only the enrollment lifecycle and the staff decisions call these, as
part of a step; nothing here commits or changes an enrollment's status."""

from portal import clock
from portal.extensions import db
from portal.models import Enrollment, GrantStatus, Location, LocationGrant


def active(enrollment: Enrollment) -> list[LocationGrant]:
    return [g for g in enrollment.grants if g.status is GrantStatus.ACTIVE]


def active_locations(enrollment: Enrollment) -> list[Location]:
    return [g.location for g in active(enrollment)]


def grant(enrollment: Enrollment, locations: list[Location]) -> None:
    """Activate the enrollment's access to `locations` (existing active grants stay as is)."""
    _add(
        enrollment, locations, GrantStatus.ACTIVE, held=[g.location_id for g in active(enrollment)]
    )


def request_all(enrollment: Enrollment) -> None:
    """Ask for every location of the institution the enrollment does not hold or ask for."""
    held = [g.location_id for g in enrollment.grants if g.status is not GrantStatus.DEACTIVATED]
    _add(enrollment, enrollment.institution.locations, GrantStatus.REQUESTED, held=held)


def _add(enrollment, locations: list[Location], status: GrantStatus, *, held: list[int]):
    now = clock.now()
    activated = now if status is GrantStatus.ACTIVE else None
    for location in locations:
        if location.id not in held:
            db.session.add(
                LocationGrant(
                    enrollment=enrollment,
                    location=location,
                    status=status,
                    requested_at=now,
                    activated_at=activated,
                )
            )


def activate_requested(enrollment: Enrollment) -> None:
    now = clock.now()
    for grant_ in enrollment.grants:
        if grant_.status is GrantStatus.REQUESTED:
            grant_.status, grant_.activated_at = GrantStatus.ACTIVE, now


def stop(grants: list[LocationGrant]) -> None:
    """Deactivate these grants now (billing stops; nothing is deleted)."""
    now = clock.now()
    for grant_ in grants:
        if grant_.status is not GrantStatus.DEACTIVATED:
            grant_.status, grant_.deactivated_at = GrantStatus.DEACTIVATED, now
