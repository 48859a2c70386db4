"""Organization-scoped lists of `/portal`. Later work adds their actions."""

from flask_admin import Admin

from portal.admin_views.api_keys import ApiKeyView
from portal.admin_views.base import PortalModelView
from portal.admin_views.imports import PortalImportsView
from portal.admin_views.institutions import InstitutionsView
from portal.admin_views.sync_setup import SyncSetupView
from portal.admin_views.sync_status import SyncStatusView
from portal.admin_views.upgrade import UpgradeView
from portal.admin_views.usage import UsageView
from portal.admin_views.users import UsersView
from portal.models import AuditEvent, Enrollment, Sync, User


class AuditLogView(PortalModelView):
    admin_only = True
    column_list = ["created_at", "actor_email", "action", "target_type", "target_id", "ip_address"]
    column_filters = ["action", "actor_email"]
    column_default_sort = ("created_at", True)


def register(admin: Admin) -> None:
    admin.add_view(InstitutionsView(Enrollment, "Institutions", endpoint="portal_institutions"))
    admin.add_view(SyncStatusView(Sync, "Sync status", endpoint="portal_syncs"))
    admin.add_view(SyncSetupView(name="Sync setup", url="syncs", endpoint="portal_sync_setup"))
    admin.add_view(PortalImportsView("Upload CSV", url="imports", endpoint="portal_imports"))
    admin.add_view(ApiKeyView("API Key", endpoint="portal_api_key"))
    admin.add_view(UsersView(User, "Users", endpoint="portal_users"))
    admin.add_view(UsageView("Usage", endpoint="portal_usage"))
    admin.add_view(UpgradeView("Upgrade", endpoint="portal_upgrade"))
    admin.add_view(AuditLogView(AuditEvent, "Audit log", endpoint="portal_audit"))
