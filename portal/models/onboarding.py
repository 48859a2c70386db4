"""Practices and their Synchronizers: institutions, syncs, locations, and each organization's
enrollment in an institution with its location grants and requests."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import catalogue
from portal.db_types import UTCDateTime, now_column
from portal.extensions import db
from portal.models.accounts import Organization, StaffDecided
from portal.statuses import (
    EnrollmentStatus,
    GrantStatus,
    InstallMethod,
    Mode,
    OnboardingStatus,
    RequestStatus,
    SyncStage,
    _enum,
)


class Institution(db.Model):
    """A practice or group. Global: several organizations may enroll in the same one."""

    __tablename__ = "institutions"
    __table_args__ = (
        Index("ix_institutions_match_name", "name_key", "zip_code"),
        Index("ix_institutions_match_street", "street_key", "zip_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    subdomain: Mapped[str] = mapped_column(String(80), unique=True)
    mode: Mapped[Mode] = mapped_column(_enum(Mode), index=True)
    street_address: Mapped[str] = mapped_column(String(200), default="")
    street_address_2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip_code: Mapped[str] = mapped_column(String(10), default="")
    phone_number: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    is_group: Mapped[bool] = mapped_column(default=False)
    # Normalised copies for matching (indexed lookups, never a scan).
    name_key: Mapped[str] = mapped_column(String(200), default="")
    street_key: Mapped[str] = mapped_column(String(200), default="")
    phone_digits: Mapped[str] = mapped_column(String(15), default="", index=True)
    # Bumped when the practice signs out: every older practice session cookie dies.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Sandbox only: the next appointment booked through the API is refused, as a practice
    # can refuse a write (the Sandbox page arms it; the booking that claims it clears it).
    fail_next_booking: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = now_column()
    syncs: Mapped[list["Sync"]] = relationship(back_populates="institution", order_by="Sync.id")
    locations: Mapped[list["Location"]] = relationship(
        back_populates="institution", order_by="Location.id"
    )

    def __str__(self) -> str:
        return self.name


class Sync(db.Model):
    """One Synchronizer installation: one server (on-prem) or one cloud account."""

    __tablename__ = "syncs"
    __table_args__ = (Index("ix_syncs_status_method", "status", "install_method"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    created_by_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    ehr: Mapped[str] = mapped_column(String(40), index=True)
    install_method: Mapped[InstallMethod] = mapped_column(_enum(InstallMethod))
    server_name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[SyncStage] = mapped_column(_enum(SyncStage))
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    product_key_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    product_key_encrypted: Mapped[str | None] = mapped_column(Text)
    agent_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    extension_token_encrypted: Mapped[str | None] = mapped_column(Text)
    credentials_url: Mapped[str] = mapped_column(String(300), default="")
    credentials_username: Mapped[str] = mapped_column(String(200), default="")
    credentials_password_encrypted: Mapped[str | None] = mapped_column(Text)
    proposed_windows: Mapped[list] = mapped_column(JSON, default=list)
    confirmed_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hostname: Mapped[str] = mapped_column(String(200), default="")
    agent_version: Mapped[str] = mapped_column(String(40), default="")
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_write_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = now_column()
    institution: Mapped[Institution] = relationship(back_populates="syncs")
    created_by_org: Mapped[Organization | None] = relationship()

    def __str__(self) -> str:
        server = f" on {self.server_name}" if self.server_name else ""
        return f"{catalogue.name_of(self.ehr)}{server} at {self.institution}"


class Location(db.Model):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("institution_id", "foreign_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    sync_id: Mapped[int | None] = mapped_column(
        ForeignKey("syncs.id", ondelete="SET NULL"), index=True
    )
    foreign_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip_code: Mapped[str] = mapped_column(String(10), default="")
    phone_number: Mapped[str] = mapped_column(String(30), default="")
    tz: Mapped[str] = mapped_column(String(60), default="America/New_York")
    created_at: Mapped[datetime] = now_column()
    institution: Mapped[Institution] = relationship(back_populates="locations")

    def __str__(self) -> str:
        return self.name


class Enrollment(db.Model):
    """One organization's relationship to one institution: a row of the Institutions page."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("organization_id", "institution_id"),
        Index("ix_enrollments_org_mode_status", "organization_id", "mode", "status"),
        Index("ix_enrollments_org_mode_created", "organization_id", "mode", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[Mode] = mapped_column(_enum(Mode))
    status: Mapped[EnrollmentStatus] = mapped_column(_enum(EnrollmentStatus), index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = now_column()
    created_at: Mapped[datetime] = now_column()
    organization: Mapped[Organization] = relationship()
    institution: Mapped[Institution] = relationship()
    grants: Mapped[list["LocationGrant"]] = relationship(
        back_populates="enrollment", order_by="LocationGrant.id"
    )

    def __str__(self) -> str:
        return f"{self.organization} at {self.institution}"


class LocationGrant(db.Model):
    """An enrollment's access to one location; billing counts the active ones by interval."""

    __tablename__ = "location_grants"
    __table_args__ = (Index("ix_location_grants_enrollment_status", "enrollment_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[GrantStatus] = mapped_column(_enum(GrantStatus), default=GrantStatus.REQUESTED)
    requested_at: Mapped[datetime] = now_column()
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enrollment: Mapped[Enrollment] = relationship(back_populates="grants")
    location: Mapped[Location] = relationship()

    def __str__(self) -> str:
        return f"{self.location} ({self.status.label.lower()})"


class AccessRequest(db.Model):
    """A developer's request to use a practice's existing Synchronizer (practice consent)."""

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_org_status", "organization_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus), default=RequestStatus.PENDING
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_sent_at: Mapped[datetime] = now_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Evidence of the practice's decision, beside its time: from where, with which browser,
    # having read which version of the consent text.
    decided_ip: Mapped[str] = mapped_column(String(45), default="", server_default="")
    decided_user_agent: Mapped[str] = mapped_column(String(400), default="", server_default="")
    consent_text_version: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = now_column()
    organization: Mapped[Organization] = relationship()
    institution: Mapped[Institution] = relationship()

    def __str__(self) -> str:
        return f"Access of {self.organization} to {self.institution}"


activation_request_locations = db.Table(
    "activation_request_locations",
    db.Column(
        "activation_request_id",
        ForeignKey("activation_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
)


class ActivationRequest(StaffDecided, db.Model):
    """A live enrollment asking for more of its institution's locations; ops fulfil it."""

    __tablename__ = "activation_requests"
    __table_args__ = (Index("ix_activation_requests_org_status", "organization_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    enrollment: Mapped[Enrollment] = relationship()
    locations: Mapped[list[Location]] = relationship(secondary=activation_request_locations)

    def __str__(self) -> str:
        return f"More locations of {self.enrollment}"


class Onboarding(db.Model):
    """A hosted setup link a developer hands to a practice (NexHealth's Onboardings API):
    the practice's IT picks its system and installs, or enters cloud credentials, without
    signing in. The link's token is looked up by digest and kept encrypted for its creator."""

    __tablename__ = "onboardings"
    __table_args__ = (Index("ix_onboardings_org_created", "organization_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL"), index=True
    )
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="SET NULL"), index=True
    )
    sync_id: Mapped[int | None] = mapped_column(ForeignKey("syncs.id", ondelete="SET NULL"))
    # Institution details given so far, while the practice still has to complete them.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    emr_name: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[OnboardingStatus] = mapped_column(
        _enum(OnboardingStatus), default=OnboardingStatus.IN_PROGRESS, index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[str] = mapped_column(Text)
    url_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organization: Mapped[Organization] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()
    institution: Mapped[Institution | None] = relationship()
    sync: Mapped[Sync | None] = relationship()
