"""The webhook events of writes made through the API in the sandbox, where a write is in
the practice's records at once: a booking is an `appointment_insertion.complete`, a new
patient a `patient_created`, a change an `appointment_updated`. (A production write is
announced when the Synchronizer reports it applied.) Each is recorded in the write's own
transaction, so it is sent only if the write committed."""

from portal.extensions import db
from portal.models import Institution, Location, Mode
from portal.records import Appointment, Patient
from portal.services import events
from portal.services.records.api_access import Caller


def booked(appointment: Appointment, location: Location, *, caller: Caller) -> None:
    _record("appointment_insertion.complete", location, caller, appointment=_of(appointment))


def patient_added(patient: Patient, location: Location, *, caller: Caller) -> None:
    _record("patient_created", location, caller, patient=_patient(patient))


def appointment_changed(appointment: Appointment, *, caller: Caller) -> None:
    location = db.session.get(Location, appointment.location_id)
    _record("appointment_updated", location, caller, appointment=_of(appointment))


def _record(name: str, location: Location, caller: Caller, **data) -> None:
    institution = db.session.get(Institution, location.institution_id)
    if institution.mode is not Mode.SANDBOX:
        return
    events.record(
        name,
        organization=caller.organization,
        mode=Mode.SANDBOX,
        institution=institution,
        data=data,
    )


def _of(appointment: Appointment) -> dict:
    moments = ("start_time", "end_time", "checkin_at", "confirmed_at", "cancelled_at")
    return {
        "id": appointment.id,
        "location_id": appointment.location_id,
        "patient_id": appointment.patient_id,
        "provider_id": appointment.provider_id,
        "operatory_id": appointment.operatory_id,
        "appointment_type_id": appointment.appointment_type_id,
        "confirmed": appointment.confirmed,
        "cancelled": appointment.cancelled,
        "note": appointment.note,
        **{name: _iso(getattr(appointment, name)) for name in moments},
    }


def _patient(patient: Patient) -> dict:
    return {
        "id": patient.id,
        "location_id": patient.location_id,
        "provider_id": patient.provider_id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
    }


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
