"""A booked appointment changed through PATCH: rescheduled (start, end, provider, operatory),
noted, checked in, confirmed or cancelled. A cancelled appointment is final."""

from dataclasses import dataclass, fields
from datetime import datetime

from portal import clock
from portal.models import WriteKind
from portal.records import Appointment, Operatory, Provider
from portal.services import commit
from portal.services.records import api_access, pending_writes, sandbox_events
from portal.services.records.api_access import Caller, InvalidField
from portal.services.records.appointments import NOTE_MAX_LENGTH, at_location, refuse_overlap

# What a PATCH may do to the confirmation, by the appointment's state.
TRANSITIONS = {
    "booked": {"confirm": "confirmed", "cancel": "cancelled"},
    "confirmed": {"unconfirm": "booked", "cancel": "cancelled"},
    "cancelled": {},
}
RESCHEDULING = ("start_time", "end_time", "provider_id", "operatory_id")


@dataclass(frozen=True)
class Change:
    start_time: datetime | None = None
    end_time: datetime | None = None
    provider_id: int | None = None
    operatory_id: int | None = None
    note: str | None = None
    checkin_at: datetime | None = None
    confirmed: bool | None = None
    cancelled: bool | None = None

    def asked(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


def state(appointment: Appointment) -> str:
    if appointment.cancelled:
        return "cancelled"
    return "confirmed" if appointment.confirmed else "booked"


def apply(appointment: Appointment, change: Change, *, caller: Caller) -> Appointment:
    """Apply a PATCH in one transaction; a value the appointment already has changes nothing.

    Raises InvalidField naming the field when nothing is asked, when a cancelled appointment
    would change, when the new time clashes with the provider's or operatory's other
    appointments, or for a confirmation step TRANSITIONS does not allow.
    """
    asked = change.asked()
    if not asked:
        raise InvalidField("appt", f"must set one of: {', '.join(f.name for f in fields(Change))}.")
    if appointment.cancelled and asked != ["cancelled"]:
        raise InvalidField(f"appt.{asked[0]}", "cannot change a cancelled appointment.")
    changed = []
    if any(getattr(change, name) is not None for name in RESCHEDULING):
        changed += _reschedule(appointment, change)
    if change.note is not None and change.note != appointment.note:
        if len(change.note) > NOTE_MAX_LENGTH:
            raise InvalidField("appt.note", f"must be at most {NOTE_MAX_LENGTH} characters.")
        appointment.note, changed = change.note, [*changed, "note"]
    if change.checkin_at is not None and change.checkin_at != appointment.checkin_at:
        appointment.checkin_at, changed = change.checkin_at, [*changed, "checkin_at"]
    changed += _confirmation(appointment, change)
    if changed:
        api_access.audit(caller, "appointment.updated", appointment, changed=changed)
        sandbox_events.appointment_changed(appointment, caller=caller)
        location = api_access.location_of(appointment)
        pending_writes.follow(
            caller, location, WriteKind.APPOINTMENT_UPDATE, appointment, changed=changed
        )
    commit()
    return appointment


def _reschedule(appointment: Appointment, change: Change) -> list[str]:
    location = api_access.location_of(appointment)
    provider = at_location(
        location,
        Provider,
        change.provider_id or appointment.provider_id,
        "appt.provider_id",
        lock=True,
    )
    operatory_id = change.operatory_id or appointment.operatory_id
    operatory = at_location(location, Operatory, operatory_id, "appt.operatory_id", lock=True)
    start = change.start_time or appointment.start_time
    length = appointment.end_time - appointment.start_time
    end = change.end_time or (start + length if change.start_time else appointment.end_time)
    if end <= start:
        raise InvalidField("appt.end_time", "must be after appt.start_time.")
    refuse_overlap(provider, operatory, start, end, besides=appointment)
    before = (appointment.start_time, appointment.end_time, appointment.provider_id, operatory_id)
    appointment.start_time, appointment.end_time = start, end
    appointment.provider_id = provider.id
    appointment.operatory_id = operatory.id if operatory else None
    after = (start, end, provider.id, appointment.operatory_id)
    return [name for name, old, new in zip(RESCHEDULING, before, after, strict=True) if old != new]


def _confirmation(appointment: Appointment, change: Change) -> list[str]:
    steps = []
    if change.confirmed is not None and change.confirmed != appointment.confirmed:
        steps.append(("confirm" if change.confirmed else "unconfirm", "confirmed"))
    if change.cancelled is not None and change.cancelled != appointment.cancelled:
        steps.append(("cancel" if change.cancelled else "reopen", "cancelled"))
    for step, name in steps:
        current = state(appointment)
        if step not in TRANSITIONS[current]:
            raise InvalidField(f"appt.{name}", f"cannot {step} a {current} appointment.")
        STEPS[step](appointment)
    return [name for _, name in steps]


def confirm(appointment: Appointment) -> None:
    appointment.confirmed, appointment.confirmed_at = True, clock.now()


def unconfirm(appointment: Appointment) -> None:
    appointment.confirmed = False


def cancel(appointment: Appointment) -> None:
    appointment.cancelled, appointment.cancelled_at = True, clock.now()


STEPS = {"confirm": confirm, "unconfirm": unconfirm, "cancel": cancel}
