"""Production data on its way between the platform and a practice: what each Synchronizer
uploaded last, and the API's writes waiting for it (pending writes)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db_types import UTCDateTime, now_column
from portal.extensions import db
from portal.models.accounts import Organization
from portal.models.onboarding import Location, Sync
from portal.statuses import WriteKind, WriteStatus, _enum


class RecordUpload(db.Model):
    """The last batch of one kind of record (patients, appointments...) that a sync uploaded
    for one of its locations, and how many records of that kind the location holds."""

    __tablename__ = "record_uploads"
    __table_args__ = (UniqueConstraint("sync_id", "location_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = now_column()
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    removed: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    location: Mapped[Location] = relationship()


class PendingWrite(db.Model):
    """A write accepted by the production API, on its way to the practice: collected by the
    sync's Synchronizer, applied there, and reported back (or timed out)."""

    __tablename__ = "pending_writes"
    __table_args__ = (
        Index("ix_pending_writes_sync_status", "sync_id", "status", "id"),
        Index("ix_pending_writes_status_deadline", "status", "deadline_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[WriteKind] = mapped_column(_enum(WriteKind))
    status: Mapped[WriteStatus] = mapped_column(_enum(WriteStatus), default=WriteStatus.PENDING)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), index=True
    )
    changed: Mapped[list] = mapped_column(JSON, default=list)  # fields a change names
    reason: Mapped[str] = mapped_column(Text, default="")
    foreign_id: Mapped[str] = mapped_column(String(40), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = now_column()
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sync: Mapped[Sync] = relationship()
    location: Mapped[Location] = relationship()
    organization: Mapped[Organization] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.label} #{self.id}"
