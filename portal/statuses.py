"""Status and kind enums, and the Institutions page tabs built from them."""

import enum

from sqlalchemy import Enum

__all__ = [
    "Mode",
    "EnrollmentStatus",
    "InstallMethod",
    "SyncStage",
    "GrantStatus",
    "InvitationStatus",
    "RequestStatus",
    "EmailStatus",
    "JobStatus",
    "TokenPurpose",
    "ImportStatus",
    "TABS",
    "TABS_BY_STATUS",
]


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native PG enum) so adding a status is a one-line change.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Mode(enum.StrEnum):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class EnrollmentStatus(enum.StrEnum):
    NEEDS_SYNC = "needs_sync"
    NEEDS_CREDENTIALS = "needs_credentials"
    NEEDS_SCHEDULE = "needs_schedule"
    NEEDS_LOCATIONS = "needs_locations"
    INSTALLING = "installing"
    AWAITING_CONSENT = "awaiting_consent"
    FAILED = "failed"
    LIVE = "live"
    DEACTIVATED = "deactivated"

    @property
    def tab(self) -> str | None:
        return TABS_BY_STATUS.get(self)


TABS = {
    "todo": (
        EnrollmentStatus.NEEDS_SYNC,
        EnrollmentStatus.NEEDS_CREDENTIALS,
        EnrollmentStatus.NEEDS_SCHEDULE,
        EnrollmentStatus.NEEDS_LOCATIONS,
    ),
    "in_progress": (
        EnrollmentStatus.INSTALLING,
        EnrollmentStatus.AWAITING_CONSENT,
        EnrollmentStatus.FAILED,
    ),
}
TABS_BY_STATUS = {status: tab for tab, statuses in TABS.items() for status in statuses}


class InstallMethod(enum.StrEnum):
    SELF_INSTALLER = "self_installer"
    SCHEDULED = "scheduled"
    CLOUD = "cloud"


class SyncStage(enum.StrEnum):
    NEEDS_CREDENTIALS = "needs_credentials"
    NEEDS_SCHEDULE = "needs_schedule"
    INSTALLING = "installing"
    ACTIVE = "active"
    FAILED = "failed"


class GrantStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class RequestStatus(enum.StrEnum):
    """Shared by access, activation and upgrade requests."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a worker, not yet handed to the mail server
    SENDING = "sending"  # handed to the mail server; the outcome is not recorded yet
    SENT = "sent"
    FAILED = "failed"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"
    PRACTICE_LOGIN = "practice_login"


class ImportStatus(enum.StrEnum):
    PREVIEWED = "previewed"
    APPLYING = "applying"  # handed to the worker; nothing is written until it finishes
    APPLIED = "applied"
    REJECTED = "rejected"


# Every enum above, for templates that compare a status with its member.
ENUMS = tuple(
    value
    for value in list(globals().values())
    if isinstance(value, enum.EnumMeta) and value.__module__ == __name__
)
