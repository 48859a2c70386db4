"""Appointment types written through the API: created at a location, renamed, lengthened,
tied to descriptors, deleted (appointments of a deleted type keep their time)."""

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Location
from portal.records import AppointmentDescriptor, AppointmentType
from portal.services import commit
from portal.services.records import api_access
from portal.services.records.api_access import Caller, InvalidField

FIELD = "appointment_type."


@dataclass(frozen=True)
class TypeFields:
    name: str | None = None
    minutes: int | None = None
    bookable_online: bool | None = None
    descriptor_ids: list[int] | None = None


def create(location: Location, fields: TypeFields, *, caller: Caller) -> AppointmentType:
    """A new appointment type at `location`. Raises InvalidField for a missing name or
    length, a name the location already uses, or descriptors of another location."""
    for name in ("name", "minutes"):
        if getattr(fields, name) is None:
            raise InvalidField(FIELD + name, "is required.")
    row = AppointmentType(location_id=location.id, bookable_online=True)
    _write(row, fields)
    db.session.add(row)
    db.session.flush()
    api_access.audit(caller, "appointment_type.created", row, location_id=location.id)
    commit()
    return row


def change(row: AppointmentType, fields: TypeFields, *, caller: Caller) -> AppointmentType:
    _write(row, fields)
    api_access.audit(caller, "appointment_type.changed", row)
    commit()
    return row


def delete(row: AppointmentType, *, caller: Caller) -> AppointmentType:
    api_access.audit(caller, "appointment_type.deleted", row, location_id=row.location_id)
    db.session.delete(row)
    commit()
    return row


def _write(row: AppointmentType, fields: TypeFields) -> None:
    if fields.name is not None and fields.name != row.name:
        _refuse_duplicate(row, fields.name.strip())
        row.name = fields.name.strip()
    if fields.minutes is not None:
        row.minutes = fields.minutes
    if fields.bookable_online is not None:
        row.bookable_online = fields.bookable_online
    if fields.descriptor_ids is not None:
        row.descriptors = _descriptors(row.location_id, fields.descriptor_ids)


def _refuse_duplicate(row: AppointmentType, name: str) -> None:
    taken = db.session.scalar(
        select(AppointmentType.id).where(
            AppointmentType.location_id == row.location_id,
            func.lower(AppointmentType.name) == name.lower(),
        )
    )
    if taken is not None and taken != row.id:
        raise InvalidField(FIELD + "name", f"is already used by appointment type {taken}.")


def _descriptors(location_id: int, ids: list[int]) -> list[AppointmentDescriptor]:
    found = db.session.scalars(
        select(AppointmentDescriptor).where(
            AppointmentDescriptor.id.in_(ids), AppointmentDescriptor.location_id == location_id
        )
    ).all()
    if len(found) != len(set(ids)):
        raise InvalidField(
            FIELD + "emr_appt_descriptor_ids", "must name descriptors of the type's location."
        )
    return list(found)
