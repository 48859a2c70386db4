"""Appointments of a practice location: listed by time window, booked without overlaps,
confirmed and cancelled through the API."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Institution, Location, WriteKind
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider
from portal.services import commit, pagination
from portal.services.records import api_access, pending_writes, sandbox_events
from portal.services.records.api_access import (
    INT_MAX,
    Caller,
    InvalidField,
    get_record,
)

SORTS = ("start_time", "-start_time", "updated_at", "-updated_at")
DEFAULT_MINUTES = 30
NOTE_MAX_LENGTH = 128


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    cancelled: bool | None = None
    patient_ids: list[int] = field(default_factory=list)
    provider_ids: list[int] = field(default_factory=list)
    operatory_ids: list[int] = field(default_factory=list)
    updated_since: datetime | None = None
    unavailable: bool | None = None
    appointment_type_id: int | None = None
    foreign_id: str | None = None


@dataclass(frozen=True)
class Booking:
    patient_id: int
    provider_id: int
    start_time: datetime
    end_time: datetime | None = None
    operatory_id: int | None = None
    appointment_type_id: int | None = None
    note: str = ""


def search(place, filters: Filters, *, sort: str, per_page: int, **cursors):
    """A page of the appointments starting between `start` and `end` (inclusive) at `place`:
    a location, or a subquery of location ids. Providers are loaded with the page.

    Raises InvalidField when `end` is before `start`, for an unknown sort or a foreign cursor.
    """
    if filters.end < filters.start:
        raise InvalidField("end", "must not be before start.")
    at = (
        Appointment.location_id == place.id
        if isinstance(place, Location)
        else Appointment.location_id.in_(place)
    )
    query = (
        select(Appointment)
        .options(selectinload(Appointment.provider))
        .where(at, Appointment.start_time >= filters.start, Appointment.start_time <= filters.end)
    )
    if filters.unavailable:  # booked appointments only: no blocked time is kept here
        query = query.where(false())
    if filters.appointment_type_id is not None:
        query = query.where(Appointment.appointment_type_id == filters.appointment_type_id)
    if filters.foreign_id is not None:
        query = query.where(Appointment.foreign_id == filters.foreign_id)
    if filters.cancelled is not None:
        query = query.where(Appointment.cancelled.is_(filters.cancelled))
    for ids, column in (
        (filters.patient_ids, Appointment.patient_id),
        (filters.provider_ids, Appointment.provider_id),
        (filters.operatory_ids, Appointment.operatory_id),
    ):
        if ids:
            query = query.where(column.in_(ids))
    if filters.updated_since is not None:
        query = query.where(Appointment.updated_at >= filters.updated_since)
    order = pagination.sort_by(sort, Appointment, SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def get(caller: Caller, institution: Institution, appointment_id: int) -> Appointment:
    """An appointment at one of the caller's locations in `institution`. Raises NotFound."""
    return get_record(Appointment, caller, institution, appointment_id, "Appointment")


def book(location: Location, booking: Booking, *, caller: Caller) -> Appointment:
    """Book an appointment at `location`.

    Everything named must belong to the location; the end defaults to the appointment type's
    length (else 30 minutes). Raises InvalidField naming the field that is wrong, including
    the start time when the provider or the operatory is already booked then.
    """
    patient = at_location(location, Patient, booking.patient_id, "appt.patient_id")
    provider = at_location(location, Provider, booking.provider_id, "appt.provider_id", lock=True)
    operatory = at_location(
        location, Operatory, booking.operatory_id, "appt.operatory_id", lock=True
    )
    kind = at_location(
        location, AppointmentType, booking.appointment_type_id, "appt.appointment_type_id"
    )
    minutes = kind.minutes if kind else DEFAULT_MINUTES
    end_time = booking.end_time or booking.start_time + timedelta(minutes=minutes)
    if end_time <= booking.start_time:
        raise InvalidField("appt.end_time", "must be after appt.start_time.")
    if len(booking.note) > NOTE_MAX_LENGTH:
        raise InvalidField("appt.note", f"must be at most {NOTE_MAX_LENGTH} characters.")
    refuse_overlap(provider, operatory, booking.start_time, end_time)
    appointment = Appointment(
        location_id=location.id,
        patient_id=patient.id,
        provider_id=provider.id,
        operatory_id=operatory.id if operatory else None,
        appointment_type_id=kind.id if kind else None,
        start_time=booking.start_time,
        end_time=end_time,
        note=booking.note,
        booked_through_api=True,
    )
    db.session.add(appointment)
    db.session.flush()  # the audit row names the new id
    api_access.audit(caller, "appointment.booked", appointment, location_id=location.id)
    sandbox_events.booked(appointment, location, caller=caller)
    pending_writes.follow(caller, location, WriteKind.APPOINTMENT_CREATE, appointment)
    commit()
    return appointment


def at_location(location: Location, model, row_id: int | None, name: str, *, lock: bool = False):
    if row_id is None:
        return None
    query = select(model).where(model.id == row_id, model.location_id == location.id)
    # Locking the provider and operatory rows serialises concurrent bookings for them.
    found = 0 < row_id <= INT_MAX and db.session.scalar(query.with_for_update() if lock else query)
    if not found:
        raise InvalidField(name, f"is not a {model.__name__.lower()} at this location.")
    return found


def refuse_overlap(provider, operatory, start: datetime, end: datetime, *, besides=None) -> None:
    """Raises InvalidField when the provider or the operatory is booked between `start` and
    `end` (by another appointment than `besides`)."""
    same_resource = Appointment.provider_id == provider.id
    if operatory is not None:
        same_resource = or_(same_resource, Appointment.operatory_id == operatory.id)
    clash = db.session.scalar(
        select(Appointment)
        .where(
            same_resource,
            Appointment.cancelled.is_(False),
            Appointment.start_time < end,
            Appointment.end_time > start,
            Appointment.id != (besides.id if besides is not None else 0),
        )
        .limit(1)
    )
    if clash is not None:
        whose = "provider" if clash.provider_id == provider.id else "operatory"
        raise InvalidField(
            "appt.start_time", f"overlaps appointment {clash.id} of the same {whose}."
        )
