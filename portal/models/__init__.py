"""Tables, status enums and small derived properties. No commits and no request access here:
rules live in `portal.services`.

The tables are grouped by area (accounts, onboarding, activity); every name, statuses
included, is importable from `portal.models`.
"""

# The sandbox record tables share this metadata; importing them here registers them.
from portal import records  # noqa: F401
from portal.models.accounts import (
    ApiKey,
    Invitation,
    LoginThrottle,
    OneTimeToken,
    Organization,
    RecoveryCode,
    UpgradeRequest,
    User,
)
from portal.models.activity import (
    ApiRequest,
    AuditEvent,
    ImportBatch,
    IssueSnooze,
    Job,
    OutboundEmail,
    PeriodicRun,
)
from portal.models.onboarding import (
    AccessRequest,
    ActivationRequest,
    Enrollment,
    Institution,
    Location,
    LocationGrant,
    Onboarding,
    Sync,
    activation_request_locations,
)
from portal.models.practice_data import PendingWrite, RecordUpload
from portal.models.webhooks import (
    Event,
    SyncAlert,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)
from portal.statuses import *  # noqa: F403
from portal.statuses import __all__ as _statuses

__all__ = [
    "AccessRequest",
    "ActivationRequest",
    "ApiKey",
    "AuditEvent",
    "Enrollment",
    "Event",
    "ImportBatch",
    "Institution",
    "Invitation",
    "Job",
    "Location",
    "LocationGrant",
    "LoginThrottle",
    "OneTimeToken",
    "Onboarding",
    "Organization",
    "OutboundEmail",
    "PendingWrite",
    "PeriodicRun",
    "RecordUpload",
    "Sync",
    "SyncAlert",
    "UpgradeRequest",
    "ApiRequest",
    "IssueSnooze",
    "RecoveryCode",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookSubscription",
    "activation_request_locations",
    *_statuses,
]
