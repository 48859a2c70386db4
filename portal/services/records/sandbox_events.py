"""The webhook events of writes made through the API in the sandbox, where a write is in
the practice's records at once: a booking is an `appointment_insertion.complete`, a new
patient a `patient_created`, a change an `appointment_updated`. (A production write is
announced when the Synchronizer reports it applied.) Each is recorded in the write's own
transaction, so it is sent only if the write committed, carrying the record as the API
shapes it. When the Sandbox page armed a refusal, the booking that claims it is refused as
a practice refuses a write: cancelled, and announced as `appointment_insertion.failed`."""

import msgspec
from sqlalchemy import update

from portal import clock
from portal.extensions import db
from portal.models import Institution, Location, Mode
from portal.records import Appointment, Patient
from portal.services import events
from portal.services.records.api_access import Caller

# Why a refused sandbox booking did not go through (the `reason` of its failed event, as a
# practice's would be).
REFUSAL = "The sandbox refused this booking: 'Fail the next booking' was armed on its page."


def booked(appointment: Appointment, location: Location, *, caller: Caller) -> None:
    """A sandbox booking is complete, unless the Sandbox page armed a refusal: the booking
    that claims it is cancelled (its time free again) and announced as failed."""
    if not (caller.mode is Mode.SANDBOX and _claims_refusal(location)):
        _record("appointment_insertion.complete", location, caller, appointment)
        return
    appointment.cancelled, appointment.cancelled_at = True, clock.now()  # as GET shows it
    _record("appointment_insertion.failed", location, caller, appointment, reason=REFUSAL)


def patient_added(patient: Patient, location: Location, *, caller: Caller) -> None:
    _record("patient_created", location, caller, patient)


def appointment_changed(appointment: Appointment, *, caller: Caller) -> None:
    location = db.session.get(Location, appointment.location_id)
    _record("appointment_updated", location, caller, appointment)


def _claims_refusal(location: Location) -> bool:
    # Read first (nearly always unarmed: no write), then one conditional UPDATE: of two
    # bookings at once, exactly one is refused.
    institution = db.session.get(Institution, location.institution_id)
    if not institution.fail_next_booking:
        return False
    claimed = db.session.execute(
        update(Institution)
        .where(
            Institution.id == location.institution_id,
            Institution.mode == Mode.SANDBOX,
            Institution.fail_next_booking.is_(True),
        )
        .values(fail_next_booking=False)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _record(name: str, location: Location, caller: Caller, row, **extra) -> None:
    institution = db.session.get(Institution, location.institution_id)
    if institution.mode is not Mode.SANDBOX:
        return
    events.record(
        name,
        organization=caller.organization,
        mode=Mode.SANDBOX,
        institution=institution,
        data=shaped(row, location) | extra,
    )


def shaped(row, location: Location) -> dict:
    """A record's webhook `data`, as the API shapes it."""
    # The API's shapes import the services: read them when needed, not at import time.
    from portal.api import appointment_shapes, patient_shapes

    db.session.flush()  # defaults (times, flags) filled in, as the API will show them
    if isinstance(row, Appointment):
        return {"appointment": msgspec.to_builtins(appointment_shapes.appointment(row, location))}
    return {"patient": msgspec.to_builtins(patient_shapes.patient(row, location))}
