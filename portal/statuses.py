"""Status and kind enums, each with the word people read (`label`), and the Institutions
page tabs built from them."""

import enum

from sqlalchemy import Enum

__all__ = [
    "Mode",
    "EnrollmentStatus",
    "InstallMethod",
    "SyncStage",
    "GrantStatus",
    "InvitationStatus",
    "Role",
    "RequestStatus",
    "EmailStatus",
    "JobStatus",
    "TokenPurpose",
    "ImportStatus",
    "DeliveryStatus",
    "OnboardingStatus",
    "WriteKind",
    "WriteStatus",
    "TABS",
    "TABS_BY_STATUS",
]


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native PG enum) so adding a status is a one-line change.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Labelled(enum.StrEnum):
    """A stored code (`needs_credentials`) with the words a page shows for it."""

    @property
    def label(self) -> str:
        # Keyed by kind too: a SyncStage and an EnrollmentStatus may share a code.
        return LABELS.get((type(self), self)) or self.value.replace("_", " ").capitalize()


class Mode(Labelled):
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class EnrollmentStatus(Labelled):
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


class InstallMethod(Labelled):
    SELF_INSTALLER = "self_installer"
    SCHEDULED = "scheduled"
    CLOUD = "cloud"


class SyncStage(Labelled):
    NEEDS_CREDENTIALS = "needs_credentials"
    NEEDS_SCHEDULE = "needs_schedule"
    INSTALLING = "installing"
    ACTIVE = "active"
    FAILED = "failed"


class GrantStatus(Labelled):
    REQUESTED = "requested"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Role(Labelled):
    """What a member of an organization may do (see `services.accounts.roles`)."""

    OWNER = "owner"
    ADMIN = "admin"
    DEVELOPER = "developer"
    VIEWER = "viewer"


class InvitationStatus(Labelled):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class RequestStatus(Labelled):
    """Shared by access, activation and upgrade requests."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class EmailStatus(Labelled):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a worker of an earlier version, not yet handed over
    SENDING = "sending"  # in a worker's batch, maybe handed to the server; not recorded yet
    SENT = "sent"
    FAILED = "failed"


class JobStatus(Labelled):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TokenPurpose(Labelled):
    PASSWORD_RESET = "password_reset"
    PRACTICE_LOGIN = "practice_login"


class ImportStatus(Labelled):
    PREVIEWED = "previewed"
    APPLYING = "applying"  # handed to the worker; nothing is written until it finishes
    APPLIED = "applied"
    REJECTED = "rejected"


class DeliveryStatus(Labelled):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until claimed_until
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retries ran out


class OnboardingStatus(Labelled):
    """As NexHealth's Onboardings API words it."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


class WriteKind(Labelled):
    """A write made through the production API that the Synchronizer takes to the practice."""

    PATIENT_CREATE = "patient_create"
    APPOINTMENT_CREATE = "appointment_create"
    APPOINTMENT_UPDATE = "appointment_update"


class WriteStatus(Labelled):
    PENDING = "pending"  # accepted, waiting for the Synchronizer to collect it
    APPLYING = "applying"  # collected, waiting for the Synchronizer's result
    COMPLETE = "complete"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self in (WriteStatus.PENDING, WriteStatus.APPLYING)


# Where the code, with its underscores turned to spaces, is not the word people use.
LABELS = {
    (type(member), member): label
    for member, label in (
        (Mode.SANDBOX, "Test"),
        (InstallMethod.SELF_INSTALLER, "Self-installer"),
        (InstallMethod.SCHEDULED, "Scheduled install"),
        (SyncStage.NEEDS_CREDENTIALS, "Waiting for credentials"),
        (SyncStage.NEEDS_SCHEDULE, "Waiting for install windows"),
        (WriteKind.PATIENT_CREATE, "New patient"),
        (WriteKind.APPOINTMENT_CREATE, "New appointment"),
        (WriteKind.APPOINTMENT_UPDATE, "Appointment change"),
        (WriteStatus.PENDING, "Waiting for the Synchronizer"),
        (WriteStatus.APPLYING, "Being written"),
        (WriteStatus.COMPLETE, "Written"),
    )
}

# Every enum above, for templates that compare a status with its member.
ENUMS = tuple(
    value
    for value in list(globals().values())
    if isinstance(value, enum.EnumMeta) and value.__module__ == __name__ and value is not Labelled
)
