"""Events about a location's patients and appointments, one for each organization that holds
an active grant for the location, carrying the record as the API shapes it."""

import msgspec
from sqlalchemy import select

from portal.extensions import db
from portal.models import Enrollment, EnrollmentStatus, GrantStatus, Location, LocationGrant
from portal.records import Appointment
from portal.services import events


def grantees(location: Location) -> list:
    """Organizations that reach `location` through a live enrollment and an active grant."""
    return db.session.scalars(
        select(Enrollment)
        .join(LocationGrant, LocationGrant.enrollment_id == Enrollment.id)
        .where(
            LocationGrant.location_id == location.id,
            LocationGrant.status == GrantStatus.ACTIVE,
            Enrollment.status == EnrollmentStatus.LIVE,
            Enrollment.mode == location.institution.mode,
        )
    ).all()


def announce(
    location: Location, name: str | None, rows: list, organizations=None, extra=None
) -> None:
    """Record event `name` for each of `rows` (patients or appointments of `location`), to
    every grantee or to `organizations` when given, with the fields of `extra` beside the
    record. Nothing when `name` is None."""
    if name is None or not rows:
        return
    receivers = (
        organizations
        if organizations is not None
        else [enrollment.organization for enrollment in grantees(location)]
    )
    if not receivers:
        return
    payloads = [payload(row, location) | (extra or {}) for row in rows]  # once for everyone
    for organization in receivers:
        events.record_all(
            name,
            organization=organization,
            mode=location.institution.mode,
            institution=location.institution,
            payloads=payloads,
        )


def payload(row, location: Location) -> dict:
    """The record as the API shapes it: `{"appointment": ...}` or `{"patient": ...}`."""
    # The API's shapes import the services: read them when needed, not at import time.
    from portal.api import appointment_shapes, patient_shapes

    if isinstance(row, Appointment):
        return {"appointment": msgspec.to_builtins(appointment_shapes.appointment(row, location))}
    return {"patient": msgspec.to_builtins(patient_shapes.patient(row, location))}
