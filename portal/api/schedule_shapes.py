"""Working hours, their labels, available slots, recall types and patients' recalls in the
reference API's shapes, declared once (answer and schema)."""

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct

from portal.api.appointment_shapes import AppointmentType, appointment_type
from portal.api.shapes import _foreign_id_type, timestamp
from portal.edge.fields import Date, Timestamp
from portal.models import Location as LocationRow
from portal.records import PatientRecall as PatientRecallRow
from portal.records import RecallType as RecallTypeRow
from portal.records import WorkingHour as WorkingHourRow
from portal.records import WorkingHourLabel as WorkingHourLabelRow
from portal.services.records.slots import Slot


class WorkingHourLabel(Struct):
    id: int
    location_id: int | None
    name: str


class CustomRecurrence(Struct):
    num: int
    unit: Literal["day", "week", "month"]
    ref: Date


class WorkingHour(Struct):
    id: int
    provider_id: int | None
    location_id: int | None
    operatory_id: int | None
    begin_time: str
    end_time: str
    days: list[str] | None
    specific_date: Date | None
    custom_recurrence: CustomRecurrence | None
    tz_offset: str
    active: bool
    source: Literal["manual", "synced"]
    label: WorkingHourLabel | None
    appointment_types: list[AppointmentType]


class WorkingHourAnswer(Struct):
    working_hour: WorkingHour


class AvailableSlot(Struct):
    time: Timestamp
    end_time: Timestamp
    operatory_id: int | None
    provider_id: int
    working_hour_label_id: int | None


class AvailableSlots(Struct):
    lid: int
    pid: int | None
    operatory_id: int | None
    slots: list[AvailableSlot]
    next_available_date: Date | None


class RecallType(Struct):
    id: int
    name: str
    description: str
    foreign_id: str
    foreign_id_type: str
    interval_num: int
    interval_unit: str
    location_id: int
    created_at: Timestamp
    updated_at: Timestamp


class PatientRecall(Struct):
    id: int
    appointment_id: int | None
    date_due: Date | None
    foreign_id: str
    foreign_id_type: str
    recall_id: int | None
    recall_type: RecallType
    patient_id: int | None
    created_at: Timestamp
    updated_at: Timestamp


# Building the shapes from rows --------------------------------------------------------------


def label(row: WorkingHourLabelRow) -> WorkingHourLabel:
    return WorkingHourLabel(id=row.id, location_id=row.location_id, name=row.name)


def working_hour(row: WorkingHourRow, place: LocationRow) -> WorkingHour:
    every = None
    if row.recurrence_num:
        every = CustomRecurrence(
            num=row.recurrence_num, unit=row.recurrence_unit, ref=row.recurrence_ref.isoformat()
        )
    return WorkingHour(
        id=row.id,
        provider_id=row.provider_id,
        location_id=row.location_id,
        operatory_id=row.operatory_id,
        begin_time=row.begin_time,
        end_time=row.end_time,
        days=row.days.split(",") if row.days else None,
        specific_date=row.specific_date.isoformat() if row.specific_date else None,
        custom_recurrence=every,
        tz_offset=_tz_offset(place.tz),
        active=row.active,
        source=row.source,
        label=label(row.label) if row.label else None,
        appointment_types=[appointment_type(t) for t in row.appointment_types],
    )


def _tz_offset(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).strftime("%z")


def available_slots(location_id: int, provider_id: int, slots: list[Slot]) -> AvailableSlots:
    return AvailableSlots(
        lid=location_id,
        pid=provider_id,
        operatory_id=None,
        slots=[
            AvailableSlot(
                time=_local(s.start),
                end_time=_local(s.end),
                operatory_id=s.operatory_id,
                provider_id=s.provider_id,
                working_hour_label_id=s.label_id,
            )
            for s in slots
        ],
        next_available_date=slots[0].start.date().isoformat() if slots else None,
    )


def _local(moment: datetime) -> str:
    """A moment in its own zone, as "2024-04-15T09:00:00.000-05:00"."""
    return moment.isoformat(timespec="milliseconds")


def recall_type(row: RecallTypeRow, place: LocationRow) -> RecallType:
    return RecallType(
        id=row.id,
        name=row.name,
        description=row.description,
        foreign_id=row.foreign_id,
        foreign_id_type=_foreign_id_type(place),
        interval_num=row.interval_num,
        interval_unit=row.interval_unit,
        location_id=row.location_id,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def patient_recall(row: PatientRecallRow, place: LocationRow) -> PatientRecall:
    return PatientRecall(
        id=row.id,
        appointment_id=row.appointment_id,
        date_due=row.date_due.isoformat() if row.date_due else None,
        foreign_id=row.foreign_id,
        foreign_id_type=_foreign_id_type(place),
        recall_id=row.recall_type_id,
        recall_type=recall_type(row.recall_type, place),
        patient_id=row.patient_id,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )
