"""What the platform did and keeps: the audit trail, outbound email and uploaded imports."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db_types import UTCDateTime, now_column
from portal.extensions import db
from portal.models.accounts import Organization
from portal.statuses import EmailStatus, ImportStatus, JobStatus, Mode, _enum


class AuditEvent(db.Model):
    """One thing that happened. The trail holds no foreign keys: it outlives what it names,
    and it is written in bulk (migration 0015). Removing a member clears their `actor_id`."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_created", "organization_id", "created_at"),
        # Actions first: the trail's distinct actions are read by skipping along it, and
        # whether an organization holds one is a single probe (`audit.actions_recorded`).
        Index("ix_audit_events_action_org", "action", "organization_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = now_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    organization_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(40), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    organization: Mapped[Organization | None] = relationship(
        primaryjoin="foreign(AuditEvent.organization_id) == Organization.id", viewonly=True
    )

    def __str__(self) -> str:
        return self.action


class OutboundEmail(db.Model):
    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_status_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column(index=True)
    # The worker holding the row (claimed or sending) and when its claim lapses.
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return self.subject


class ImportBatch(db.Model):
    """An uploaded CSV kept server-side between preview and apply."""

    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_org_created", "organization_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[ImportStatus] = mapped_column(
        _enum(ImportStatus), default=ImportStatus.PREVIEWED
    )
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = now_column()
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organization: Mapped[Organization] = relationship()

    def __str__(self) -> str:
        return self.filename


class Job(db.Model):
    """Deferred work for `flask worker`: a kind, its arguments, and how far it got."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    arguments: Mapped[dict] = mapped_column(JSON, default=dict)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = now_column()
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = now_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PeriodicRun(db.Model):
    """When each periodic worker task is next due; claimed by one worker per period."""

    __tablename__ = "periodic_runs"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    next_run_at: Mapped[datetime] = now_column()
    last_run_by: Mapped[str] = mapped_column(String(100), default="")


class IssueSnooze(db.Model):
    """An inbox issue ("sync_down:12") an organization hid until `until` (see services.issues)."""

    __tablename__ = "issue_snoozes"
    __table_args__ = (
        Index("uq_issue_snoozes_org_key", "organization_id", "issue_key", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    issue_key: Mapped[str] = mapped_column(String(80))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    snoozed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = now_column()

    def __str__(self) -> str:
        return f"Snoozed {self.issue_key}"


class ApiRequest(db.Model):
    """One API call in an organization's request log (kept 30 days): what was asked and how
    it ended, never a token, a key or a body (see services.request_log)."""

    __tablename__ = "api_requests"
    __table_args__ = (Index("ix_api_requests_org_mode_id", "organization_id", "mode", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(_enum(Mode))
    key_prefix: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[int] = mapped_column()
    duration_ms: Mapped[float] = mapped_column()
    subdomain: Mapped[str] = mapped_column(String(80), default="")
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = now_column(index=True)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"
