"""Health records (providers, operatories, appointment types and their descriptors, patients
and their recalls, appointments, working hours), shaped like the public API's entities."""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.db_types import UTCDateTime, now_column
from portal.extensions import db


class _Record:
    id: Mapped[int] = mapped_column(primary_key=True)
    foreign_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column(onupdate=clock.now)


class Provider(_Record, db.Model):
    __tablename__ = "providers"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")
    specialty_code: Mapped[str] = mapped_column(String(20), default="")
    inactive: Mapped[bool] = mapped_column(default=False)


class Operatory(_Record, db.Model):
    __tablename__ = "operatories"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    bookable_online: Mapped[bool] = mapped_column(default=True)


def _pairs(name: str, left: str, right: str) -> Table:
    """A table of pairs of ids, each side deleted with its row."""
    return Table(
        name,
        db.metadata,
        Column(f"{left}_id", ForeignKey(f"{left}s.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{right}_id", ForeignKey(f"{right}s.id", ondelete="CASCADE"), primary_key=True),
    )


type_descriptors = _pairs(
    "appointment_type_descriptors", "appointment_type", "appointment_descriptor"
)
working_hour_types = _pairs("working_hour_appointment_types", "working_hour", "appointment_type")


class AppointmentDescriptor(_Record, db.Model):
    """A code of the health record system that appointments carry (procedure, category...)."""

    __tablename__ = "appointment_descriptors"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    descriptor_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)


class AppointmentType(_Record, db.Model):
    __tablename__ = "appointment_types"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int] = mapped_column(default=30)
    bookable_online: Mapped[bool] = mapped_column(default=True)
    descriptors: Mapped[list[AppointmentDescriptor]] = relationship(
        secondary=type_descriptors, order_by=AppointmentDescriptor.id
    )


class Patient(_Record, db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        # A location's list in each order it offers (then by id) is read from an index in
        # that order (tests/api/test_list_plans.py).
        Index("ix_patients_location_id", "location_id", "id"),
        Index("ix_patients_location_updated", "location_id", "updated_at", "id"),
        Index("ix_patients_location_name", "location_id", "last_name", "first_name"),
        Index("ix_patients_location_foreign", "location_id", "foreign_id"),
        # No index of all locations' patients by email, phone or birth date: every read is of
        # one location (migration 0018).
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone_number: Mapped[str] = mapped_column(String(30), default="")
    date_of_birth: Mapped[date | None] = mapped_column()
    gender: Mapped[str] = mapped_column(String(20), default="")
    inactive: Mapped[bool] = mapped_column(default=False)
    address_line_1: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address_line_2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    state: Mapped[str] = mapped_column(String(20), default="", server_default="")
    zip_code: Mapped[str] = mapped_column(String(10), default="", server_default="")
    cell_phone_number: Mapped[str] = mapped_column(String(30), default="", server_default="")
    home_phone_number: Mapped[str] = mapped_column(String(30), default="", server_default="")
    work_phone_number: Mapped[str] = mapped_column(String(30), default="", server_default="")


class Appointment(_Record, db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_location_start", "location_id", "start_time"),
        Index("ix_appointments_provider_start", "provider_id", "start_time"),
        Index("ix_appointments_operatory_start", "operatory_id", "start_time"),
        Index("ix_appointments_location_foreign", "location_id", "foreign_id"),
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    operatory_id: Mapped[int | None] = mapped_column(
        ForeignKey("operatories.id", ondelete="SET NULL")
    )
    appointment_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_types.id", ondelete="SET NULL")
    )
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed: Mapped[bool] = mapped_column(default=False)
    cancelled: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    patient_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    patient_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booked_through_api: Mapped[bool] = mapped_column(default=False, server_default=false())
    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    operatory: Mapped[Operatory | None] = relationship()
    appointment_type: Mapped[AppointmentType | None] = relationship()


class WorkingHourLabel(_Record, db.Model):
    __tablename__ = "working_hour_labels"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class WorkingHour(_Record, db.Model):
    """When a provider (in an operatory) takes appointments: weekly on `days`, once on
    `specific_date`, or every `recurrence_num` days/weeks/months from `recurrence_ref`.
    Times are wall-clock "HH:MM" in the location's time zone."""

    __tablename__ = "working_hours"
    __table_args__ = (Index("ix_working_hours_location_active", "location_id", "active"),)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    operatory_id: Mapped[int | None] = mapped_column(
        ForeignKey("operatories.id", ondelete="SET NULL")
    )
    label_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_hour_labels.id", ondelete="SET NULL")
    )
    begin_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    days: Mapped[str] = mapped_column(String(80), default="")
    specific_date: Mapped[date | None]
    recurrence_num: Mapped[int | None]
    recurrence_unit: Mapped[str | None] = mapped_column(String(5))
    recurrence_ref: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    label: Mapped[WorkingHourLabel | None] = relationship()
    appointment_types: Mapped[list[AppointmentType]] = relationship(
        secondary=working_hour_types, order_by=AppointmentType.id
    )


class RecallType(_Record, db.Model):
    __tablename__ = "recall_types"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    interval_num: Mapped[int] = mapped_column(default=6)
    interval_unit: Mapped[str] = mapped_column(String(1), default="M")


class PatientRecall(_Record, db.Model):
    __tablename__ = "patient_recalls"
    __table_args__ = (
        Index("ix_patient_recalls_location_id", "location_id", "id"),
        Index("ix_patient_recalls_location_due", "location_id", "date_due", "id"),
        Index("ix_patient_recalls_location_updated", "location_id", "updated_at", "id"),
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    recall_type_id: Mapped[int] = mapped_column(
        ForeignKey("recall_types.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    date_due: Mapped[date | None]
    recall_type: Mapped[RecallType] = relationship()
