"""Sandbox health records (providers, operatories, appointment types, patients, appointments),
shaped like the public API's entities."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
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


class AppointmentType(_Record, db.Model):
    __tablename__ = "appointment_types"
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int] = mapped_column(default=30)
    bookable_online: Mapped[bool] = mapped_column(default=True)


class Patient(_Record, db.Model):
    __tablename__ = "patients"
    __table_args__ = (
        Index("ix_patients_location_updated", "location_id", "updated_at"),
        Index("ix_patients_location_name", "location_id", "last_name", "first_name"),
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone_number: Mapped[str] = mapped_column(String(30), default="", index=True)
    date_of_birth: Mapped[date | None] = mapped_column(index=True)
    gender: Mapped[str] = mapped_column(String(20), default="")
    inactive: Mapped[bool] = mapped_column(default=False)


class Appointment(_Record, db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_location_start", "location_id", "start_time"),
        Index("ix_appointments_provider_start", "provider_id", "start_time"),
        Index("ix_appointments_operatory_start", "operatory_id", "start_time"),
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
    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
