"""What happened and who is told: the event store, webhook endpoints with their
subscriptions, each delivery to an endpoint and each attempt at it, and sync-down alerts."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db_types import UTCDateTime, now_column
from portal.extensions import db
from portal.models.accounts import Organization
from portal.statuses import DeliveryStatus, Mode, _enum


class Event(db.Model):
    """Something that happened to an organization's data, named as NexHealth names its
    webhook events (`appointment_insertion.complete`); the worker fans it out."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_created", "organization_id", "created_at"),
        Index("ix_events_fan_out", "fanned_out_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(_enum(Mode))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(60))  # what a subscription names
    name: Mapped[str] = mapped_column(String(80))  # what the message says, with its outcome
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = now_column()
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEndpoint(db.Model):
    """A URL of an organization, in one mode, that receives its subscribed events."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_org_mode", "organization_id", "mode"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(_enum(Mode))
    target_url: Mapped[str] = mapped_column(String(2000))
    # Kept encrypted: each delivery is signed with it. Shown once, when created or rotated.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    secret_last_four: Mapped[str] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # Set when deliveries began failing without a success since; cleared by a success.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    organization: Mapped[Organization] = relationship()
    subscriptions: Mapped[list["WebhookSubscription"]] = relationship(
        back_populates="endpoint", order_by="WebhookSubscription.id", passive_deletes=True
    )


class WebhookSubscription(db.Model):
    """One event an endpoint listens to, in one institution (none for onboardings)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_event", "event", "institution_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE")
    )
    resource_type: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="subscriptions")
    institution = relationship("Institution")


class WebhookDelivery(db.Model):
    """One event sent to one endpoint, tried until it succeeds or its retries run out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_org_status", "organization_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    replay_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last attempt, copied here so the delivery log is one query.
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_duration_ms: Mapped[int | None] = mapped_column()
    last_response_excerpt: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = now_column()
    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[Event] = relationship()


class WebhookAttempt(db.Model):
    """One POST of a delivery: what came back and how long it took (the delivery log)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_at", "endpoint_id", "attempted_at"),
        Index("ix_webhook_attempts_at", "attempted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    attempted_at: Mapped[datetime] = now_column()
    succeeded: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[int | None] = mapped_column()
    duration_ms: Mapped[int] = mapped_column(default=0)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    delivery: Mapped[WebhookDelivery] = relationship()


class SyncAlert(db.Model):
    """A sync's read or write that went stale and whose subscribers were told; the row goes
    when it recovers (and they are told again). Its presence is what stops repeats."""

    __tablename__ = "sync_alerts"
    __table_args__ = (UniqueConstraint("sync_id", "side"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(5))  # "read" or "write"
    down_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()
