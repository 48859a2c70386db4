"""Organizations, their people and keys, and the upgrade to production."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.db_types import UTCDateTime, now_column
from portal.extensions import db
from portal.statuses import InvitationStatus, Mode, RequestStatus, Role, TokenPurpose, _enum


class Organization(db.Model):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    production_enabled: Mapped[bool] = mapped_column(default=False)
    # Sync-down and recovery alerts (email and webhook event); the API's is_sync_notifications.
    sync_notifications: Mapped[bool] = mapped_column(default=True)
    # Every member signs in with an authenticator code as well as the password.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Go-live milestones, set once when they first happen (the logs that show them expire).
    first_sandbox_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    webhook_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Staff have no organization; their role is never read.
    role: Mapped[Role] = mapped_column(
        _enum(Role), default=Role.DEVELOPER, server_default="developer"
    )
    is_staff: Mapped[bool] = mapped_column(default=False)
    # Bumped on logout, password change and deletion: every older session cookie dies.
    session_version: Mapped[int] = mapped_column(default=1)
    # Two-factor sign-in: the authenticator's secret (encrypted), set when enrolment starts
    # and in force from totp_enabled_at; the last time step accepted, so no code works twice.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = now_column()
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organization: Mapped[Organization | None] = relationship()

    @property
    def is_admin(self) -> bool:
        """Owners and Admins run the organization (users, keys, billing)."""
        return self.role in (Role.OWNER, Role.ADMIN)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __str__(self) -> str:
        return self.email


class RecoveryCode(db.Model):
    """A single-use code that stands in for an authenticator code; only a digest is kept."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()

    def __str__(self) -> str:
        return "Recovery code"


class LoginThrottle(db.Model):
    """Failed sign-ins per key ("account:<email>" or "address:<ip>"), shared by all workers."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = now_column()
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return self.key


class OneTimeToken(db.Model):
    """Emailed single-use links (password reset, practice sign-in); only a digest is kept."""

    __tablename__ = "one_time_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()

    def __str__(self) -> str:
        return f"{self.purpose.label} link"


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_org_status", "organization_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(
        _enum(Role), default=Role.DEVELOPER, server_default="developer"
    )
    status: Mapped[InvitationStatus] = mapped_column(
        _enum(InvitationStatus), default=InvitationStatus.PENDING
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[datetime] = now_column()
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()
    organization: Mapped[Organization] = relationship()
    invited_by: Mapped["User | None"] = relationship()

    def __str__(self) -> str:
        return f"Invitation of {self.email}"


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    __table_args__ = (
        # One current key per organization and mode; a rotated-out key may linger until expires_at.
        Index(
            "uq_api_keys_current",
            "organization_id",
            "mode",
            unique=True,
            sqlite_where=db.text("replaced_at IS NULL"),
            postgresql_where=db.text("replaced_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    mode: Mapped[Mode] = mapped_column(_enum(Mode))
    prefix: Mapped[str] = mapped_column(String(16))
    last_four: Mapped[str] = mapped_column(String(4))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = now_column()
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.prefix}…{self.last_four}"


class StaffDecided:
    """A request that staff decide: who asked, the decision and its reason, when and by whom.
    (The decision is claimed once: see `services.decisions`.)"""

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus), default=RequestStatus.PENDING, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = now_column()

    @declared_attr
    def organization(cls) -> Mapped[Organization]:
        return relationship()

    @declared_attr
    def decided_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.decided_by_id])


class UpgradeRequest(StaffDecided, db.Model):
    __tablename__ = "upgrade_requests"
    __table_args__ = (Index("ix_upgrade_requests_org_status", "organization_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(254))
    expected_practices: Mapped[int] = mapped_column(default=1)

    def __str__(self) -> str:
        return f"Upgrade of {self.organization}"
