"""The staff console `/ops`: every organization, every queue."""

from flask import url_for
from flask_admin import Admin, expose

from portal.admin_views import csv_exports, issues, ops_requests
from portal.admin_views.audit_log import AuditColumns, action_filters
from portal.admin_views.base import OpsIndexBase, OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.admin_views.imports import OpsImportsView, counted
from portal.admin_views.ops_syncs import OpsSyncsView
from portal.admin_views.ops_upgrades import UpgradeRequestsView
from portal.admin_views.ops_webhooks import OpsWebhookDeliveriesView, OpsWebhookEndpointsView
from portal.admin_views.usage import UsageExportView
from portal.models import (
    AccessRequest,
    ActivationRequest,
    AuditEvent,
    EmailStatus,
    Enrollment,
    ImportBatch,
    Institution,
    Organization,
    OutboundEmail,
    PendingWrite,
    Sync,
    UpgradeRequest,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WriteStatus,
)
from portal.services import dashboards
from portal.services.delivery import outbox
from portal.services.records import pending_writes

SECRET_COLUMNS = [
    "password_hash",
    "product_key_digest",
    "product_key_encrypted",
    "agent_token_digest",
    "extension_token_encrypted",
    "credentials_password_encrypted",
    "token_digest",
    "content",
]


# Each queue tile opens its list filtered to the work it counts.
QUEUE_LISTS = {
    "Upgrade requests": ("ops_upgrade_requests", {"status_equals": "pending"}),
    "Scheduled installs": (
        "ops_syncs",
        {"install_method_equals": "scheduled", "status_equals": "installing", "work_is": "open"},
    ),
    "Cloud installs": (
        "ops_syncs",
        {"install_method_equals": "cloud", "status_equals": "installing", "work_is": "open"},
    ),
    "Activation requests": ("ops_activation_requests", {"status_equals": "pending"}),
    "Access requests": ("ops_access_requests", {"status_equals": "pending"}),
    "Failed syncs": ("ops_syncs", {"status_equals": "failed", "work_is": "open"}),
    "Emails not delivered": ("ops_outbound_emails", {"status_in_list": "pending,failed"}),
    "Webhook endpoints turned off": ("ops_webhook_endpoints", {"on_equals": "0"}),
    "Webhook deliveries failing": ("ops_webhook_deliveries", {"failing_is": "yes"}),
    "Writes not written": ("ops_pending_writes", {"status_in_list": "failed,timed_out"}),
}


class OpsHomeView(OpsIndexBase):
    @expose("/")
    def index(self):
        queues = [
            (name, size, _filtered(*QUEUE_LISTS[name]))
            for name, size in dashboards.ops_queue_sizes().items()
        ]
        return self.render("ops/home.html", queues=queues)


def _filtered(endpoint: str, filters: dict[str, str]) -> str:
    args = {f"flt{i}_{name}": value for i, (name, value) in enumerate(filters.items())}
    return url_for(f"{endpoint}.index_view", **args)


class StaffView(OpsModelView):
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS


class OrganizationsView(StaffView):
    column_searchable_list = ["name", "slug"]
    column_filters = ["production_enabled", "created_at"]


class UsersView(StaffView):
    column_list = ["email", "name", "organization", "role", "is_staff", "last_login_at"]
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "is_staff", "created_at", "last_login_at"]
    # Staff belong to no organization: a role would mean nothing there.
    column_formatters = {
        "role": lambda v, c, user, n: user.role.label if user.organization_id else ""
    }
    column_formatters_export = column_formatters


class InstitutionsView(StaffView):
    column_list = ["name", "subdomain", "mode", "city", "state", "zip_code", "phone_number"]
    column_searchable_list = ["name", "subdomain"]
    column_filters = ["mode", "state", "created_at"]


def _counts(view, context, batch, name) -> str:
    counts = (batch.summary or {}).get("counts") or {}
    return ", ".join(counted(kind, n) for kind, n in counts.items() if n) or "not applied yet"


class ImportsView(StaffView):
    column_list = ["created_at", "organization", "filename", "counts", "status", "applied_at"]
    column_labels = {"filename": "File", "counts": "Rows", "applied_at": "Applied"}
    column_formatters = {"counts": _counts}
    column_formatters_export = {"counts": _counts}
    column_details_list = column_list
    column_export_list = column_list
    column_filters = ["status", "created_at", "applied_at"]
    column_default_sort = ("created_at", True)


class OutboxView(BulkActionsMixin, StaffView):
    column_list = [
        "created_at",
        "recipient",
        "subject",
        "template",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    column_labels = {"template": "Email"}
    # The message's template (`sync_failed`) named as the email it is: "Sync failed".
    column_formatters = {
        "template": csv_exports.of_value(lambda name: name.replace("_", " ").capitalize())
    }
    column_formatters_export = column_formatters
    column_filters = ["status", "template", "created_at", "next_attempt_at"]
    column_searchable_list = ["recipient"]
    bulk_actions = {
        "resend": BulkAction(
            "Resend",
            outbox.resend,
            "Failed emails, and emails stuck in sending, go back in the queue; the worker "
            "sends them within a minute. A stuck email may already have reached its "
            "recipient, who then gets it twice. Emails sent or still pending are skipped.",
            done="{rows} queued again; the worker sends each within a minute.",
            noun="email",
            refusal=lambda email: (
                None
                if email.status is EmailStatus.FAILED or outbox.is_stuck(email)
                else f"it is {email.status.value}, not failed or stuck."
            ),
            confirm=False,
        ),
    }


class PendingWritesView(BulkActionsMixin, StaffView):
    """Writes of the production API on their way to practices; staff retry or cancel."""

    column_list = [
        "created_at",
        "organization",
        "location",
        "kind",
        "status",
        "reason",
        "attempts",
        "deadline_at",
        "resolved_at",
    ]
    column_labels = {
        "created_at": "Accepted",
        "kind": "Write",
        "attempts": "Times collected",
        "deadline_at": "Times out",
        "resolved_at": "Settled",
    }
    column_filters = ["status", "kind", "created_at", "resolved_at"]
    column_default_sort = ("created_at", True)
    bulk_actions = {
        "retry": BulkAction(
            "Retry",
            pending_writes.retry,
            "Failed and timed-out writes go back to the practice's Synchronizer with a fresh "
            "deadline; a booking that failed is booked again until the practice answers.",
            done="{rows} queued again for the practice.",
            noun="write",
            refusal=lambda write: (
                None
                if write.status in (WriteStatus.FAILED, WriteStatus.TIMED_OUT)
                else f"it is {write.status.label.lower()}, not failed or timed out."
            ),
        ),
        "cancel": BulkAction(
            "Cancel",
            pending_writes.cancel,
            "The practice's Synchronizer stops receiving these writes: they never reach "
            "the practice, and a result it reports later changes nothing.",
            done="{rows} cancelled.",
            noun="write",
            refusal=lambda write: (
                None
                if write.status not in (WriteStatus.COMPLETE, WriteStatus.CANCELLED)
                else f"it is {write.status.label.lower()} already."
            ),
        ),
    }


class AuditView(AuditColumns, StaffView):
    column_list = [
        "created_at",
        "organization",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "details",
        "ip_address",
    ]
    column_filters = [*action_filters(), "actor_email", "created_at"]


def register(admin: Admin) -> dict[str, str]:
    """Add the views at readable URLs; returns {old URL part: new} for those that moved.
    Endpoint names stay what templates' url_for use."""
    views = [
        (OrganizationsView, Organization, "Organizations", "organizations"),
        (UsersView, User, "Users", "users"),
        (InstitutionsView, Institution, "Institutions", "institutions"),
        (ops_requests.EnrollmentsView, Enrollment, "Enrollments", "enrollments"),
        (OpsSyncsView, Sync, "Syncs", "syncs"),
        (UpgradeRequestsView, UpgradeRequest, "Upgrade requests", "upgrade-requests"),
        (
            ops_requests.ActivationRequestsView,
            ActivationRequest,
            "Activation requests",
            "activation-requests",
        ),
        (ops_requests.AccessRequestsView, AccessRequest, "Access requests", "access-requests"),
        (ImportsView, ImportBatch, "Imports", "imports"),
        (OutboxView, OutboundEmail, "Outbound email", "outbox"),
        (OpsWebhookEndpointsView, WebhookEndpoint, "Webhook endpoints", "webhook-endpoints"),
        (OpsWebhookDeliveriesView, WebhookDelivery, "Webhook deliveries", "webhook-deliveries"),
        (PendingWritesView, PendingWrite, "Writes to practices", "writes"),
        (AuditView, AuditEvent, "Audit log", "audit"),
    ]
    moved = {}
    for view, model, name, url in views:
        endpoint = f"ops_{model.__tablename__}"
        admin.add_view(view(model, name, endpoint=endpoint, url=url))
        moved[endpoint] = url
    admin.add_view(UsageExportView("Usage export", url="usage", endpoint="ops_usage"))
    admin.add_view(OpsImportsView("Import CSV", url="import", endpoint="ops_import"))
    admin.add_view(issues.OpsIssuesView("Issues", url="issues", endpoint="ops_issues"))
    return {**moved, "ops_usage": "usage"}
