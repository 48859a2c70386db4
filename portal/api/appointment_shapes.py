"""Appointments and what they are booked with (operatories, appointment types and their
descriptors) in the reference API's shapes, declared once: each Struct serialises the answer
and generates its schema in /api/openapi.json."""

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import UNSET, Struct, UnsetType

from portal.api.patient_shapes import Patient, patient
from portal.api.shapes import _foreign_id_type, timestamp
from portal.edge.fields import Offset, Timestamp
from portal.models import Location as LocationRow
from portal.records import Appointment as AppointmentRow
from portal.records import AppointmentType as AppointmentTypeRow
from portal.records import Operatory as OperatoryRow
from portal.services.records.api_access import InvalidField


class Operatory(Struct):
    id: int
    name: str
    foreign_id: str
    foreign_id_type: str
    location_id: int
    last_sync_time: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    display_name: str
    active: bool
    bookable_online: bool


class AppointmentType(Struct):
    id: int
    name: str
    parent_type: Literal["Location"]
    parent_id: int
    minutes: int
    bookable_online: bool


class Descriptor(Struct):
    id: int
    descriptor_type: str
    name: str
    code: str
    location_id: int
    foreign_id: str
    foreign_id_type: str
    data: dict
    active: bool
    last_sync_time: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class AppointmentTypeWithDescriptors(AppointmentType):
    descriptors: list[Descriptor]


class OperatoryBasic(Struct):
    id: int
    name: str
    location_id: int
    foreign_id: str


class Appointment(Struct):
    id: int
    patient_id: int
    provider_id: int
    provider_name: str
    start_time: Timestamp
    end_time: Timestamp
    confirmed: bool
    cancelled: bool
    patient_missed: bool
    created_at: Timestamp
    updated_at: Timestamp
    note: str
    unavailable: bool
    timezone: str
    timezone_offset: Offset
    institution_id: int
    appointment_type_id: int | None
    location_id: int
    operatory_id: int | None
    foreign_id: str | None
    foreign_id_type: str
    last_sync_time: Timestamp | None
    confirmed_at: Timestamp | None
    cancelled_at: Timestamp | None
    checkin_at: Timestamp | None
    patient_confirmed: bool
    patient_confirmed_at: Timestamp | None
    checked_out: bool
    checked_out_at: Timestamp | None
    referrer: str | None
    is_guardian: bool
    is_new_clients_patient: bool | None
    is_past_patient: bool | None
    sooner_if_possible: bool
    created_by_user_id: int | None
    misc: dict
    # Sent when asked for with include[] (the patient always on GET /appointments/{id}).
    patient: Patient | UnsetType = UNSET
    operatory: OperatoryBasic | None | UnsetType = UNSET
    appointment_type: AppointmentType | None | UnsetType = UNSET
    descriptors: list[Descriptor] | UnsetType = UNSET


class AppointmentAnswer(Struct):
    appt: Appointment


# Building the shapes from rows --------------------------------------------------------------


def operatory(row: OperatoryRow, place: LocationRow) -> Operatory:
    return Operatory(
        id=row.id,
        name=row.name,
        foreign_id=row.foreign_id,
        foreign_id_type=_foreign_id_type(place),
        location_id=row.location_id,
        last_sync_time=None,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        display_name=row.name,
        active=row.active,
        bookable_online=row.bookable_online,
    )


def appointment_type(row: AppointmentTypeRow) -> AppointmentType:
    return AppointmentType(
        id=row.id,
        name=row.name,
        parent_type="Location",
        parent_id=row.location_id,
        minutes=row.minutes,
        bookable_online=row.bookable_online,
    )


def zone(name: str, field: str) -> str:
    """`name` if it is an IANA time zone. Raises InvalidField naming `field` otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidField(field, "must be an IANA time zone such as America/Chicago.") from None
    return name


INCLUDES = ("patient", "operatory", "appointment_type", "descriptors")


def appointment(row: AppointmentRow, place: LocationRow, *, include=(), zone=None):
    """`row` in the reference's shape; `include` names the related records to nest."""
    tz = zone or place.tz
    shape = Appointment(
        id=row.id,
        patient_id=row.patient_id,
        provider_id=row.provider_id,
        provider_name=f"{row.provider.first_name} {row.provider.last_name}",
        start_time=timestamp(row.start_time),
        end_time=timestamp(row.end_time),
        confirmed=row.confirmed,
        cancelled=row.cancelled,
        patient_missed=False,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        note=row.note,
        unavailable=False,
        timezone=tz,
        timezone_offset=_offset(row.start_time, tz),
        institution_id=place.institution_id,
        appointment_type_id=row.appointment_type_id,
        location_id=row.location_id,
        operatory_id=row.operatory_id,
        foreign_id=row.foreign_id or None,
        foreign_id_type=_foreign_id_type(place),
        last_sync_time=None,
        confirmed_at=timestamp(row.confirmed_at),
        cancelled_at=timestamp(row.cancelled_at),
        checkin_at=timestamp(row.checkin_at),
        patient_confirmed=row.patient_confirmed,
        patient_confirmed_at=timestamp(row.patient_confirmed_at),
        checked_out=False,
        checked_out_at=None,
        referrer=None,
        is_guardian=False,
        is_new_clients_patient=None,
        is_past_patient=None,
        sooner_if_possible=False,
        created_by_user_id=None,
        misc={"is_booked_on_nexhealth": row.booked_through_api},
    )
    if "patient" in include:
        shape.patient = patient(row.patient, place)
    if "operatory" in include:
        shape.operatory = operatory_basic(row.operatory) if row.operatory else None
    if "appointment_type" in include:
        kind = row.appointment_type
        shape.appointment_type = appointment_type(kind) if kind else None
    if "descriptors" in include:
        kind = row.appointment_type
        shape.descriptors = [descriptor(d, place) for d in kind.descriptors] if kind else []
    return shape


def operatory_basic(row: OperatoryRow) -> OperatoryBasic:
    return OperatoryBasic(
        id=row.id, name=row.name, location_id=row.location_id, foreign_id=row.foreign_id
    )


def descriptor(row, place: LocationRow) -> Descriptor:
    return Descriptor(
        id=row.id,
        descriptor_type=row.descriptor_type,
        name=row.name,
        code=row.code,
        location_id=row.location_id,
        foreign_id=row.foreign_id,
        foreign_id_type=_foreign_id_type(place),
        data={},
        active=row.active,
        last_sync_time=None,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def appointment_type_with_descriptors(row: AppointmentTypeRow, place: LocationRow):
    basic = appointment_type(row)
    return AppointmentTypeWithDescriptors(
        **{f: getattr(basic, f) for f in basic.__struct_fields__},
        descriptors=[descriptor(d, place) for d in row.descriptors],
    )


def _offset(moment: datetime, zone_name: str) -> str:
    """The location's UTC offset at `moment`, as "-04:00"."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    digits = moment.astimezone(zone).strftime("%z")
    return f"{digits[:3]}:{digits[3:5]}"
