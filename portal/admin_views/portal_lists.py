"""Organization-scoped lists of `/portal`. Later work adds their actions."""

from flask_admin import Admin

from portal.admin_views.api_keys import ApiKeyView
from portal.admin_views.base import PortalModelView
from portal.admin_views.upgrade import UpgradeView
from portal.admin_views.usage import UsageView
from portal.admin_views.users import UsersView
from portal.models import AuditEvent, Enrollment, Sync, User


class InstitutionsView(PortalModelView):
    """The organization's enrollments in the current mode: the Institutions page."""

    mode_scoped = True
    column_list = [
        "institution.name",
        "institution.subdomain",
        "status",
        "status_reason",
        "created_at",
    ]
    column_labels = {"institution.name": "Institution", "institution.subdomain": "Subdomain"}
    column_searchable_list = ["institution.name"]
    column_filters = ["status"]
    column_sortable_list = [("institution.name", "institution.name"), "status", "created_at"]
    column_details_list = column_list + ["status_changed_at"]


class SyncStatusView(PortalModelView):
    column_list = [
        "institution.name",
        "ehr",
        "server_name",
        "status",
        "last_read_at",
        "last_write_at",
    ]
    column_labels = {"institution.name": "Institution", "ehr": "Health record system"}
    column_filters = ["status", "ehr"]
    column_details_exclude_list = [
        "product_key_digest",
        "product_key_encrypted",
        "agent_token_digest",
        "extension_token_encrypted",
        "credentials_password_encrypted",
    ]


class AuditLogView(PortalModelView):
    admin_only = True
    column_list = ["created_at", "actor_email", "action", "target_type", "target_id", "ip_address"]
    column_filters = ["action", "actor_email"]
    column_default_sort = ("created_at", True)


def register(admin: Admin) -> None:
    admin.add_view(InstitutionsView(Enrollment, "Institutions", endpoint="portal_institutions"))
    admin.add_view(SyncStatusView(Sync, "Sync status", endpoint="portal_syncs"))
    admin.add_view(ApiKeyView("API Key", endpoint="portal_api_key"))
    admin.add_view(UsersView(User, "Users", endpoint="portal_users"))
    admin.add_view(UsageView("Usage", endpoint="portal_usage"))
    admin.add_view(UpgradeView("Upgrade", endpoint="portal_upgrade"))
    admin.add_view(AuditLogView(AuditEvent, "Audit log", endpoint="portal_audit"))
