"""The pages of `/portal` and the readable URLs they answer at."""

from flask_admin import Admin
from flask_login import current_user

from portal.admin_views.api_keys import ApiKeyView
from portal.admin_views.audit_log import AuditColumns, action_filters
from portal.admin_views.base import PortalModelView
from portal.admin_views.imports import PortalImportsView
from portal.admin_views.institutions import InstitutionsView
from portal.admin_views.issues import CountedLink, IssuesView
from portal.admin_views.requests import RequestsView
from portal.admin_views.sandbox import SandboxView
from portal.admin_views.sync_health import SyncHealthView
from portal.admin_views.sync_setup import SyncSetupView
from portal.admin_views.upgrade import UpgradeView
from portal.admin_views.usage import UsageView
from portal.admin_views.users import UsersView
from portal.admin_views.webhooks import WebhooksView
from portal.models import AuditEvent, Enrollment, Sync, User
from portal.services.accounts.roles import Permission


class AuditLogView(AuditColumns, PortalModelView):
    reads = writes = Permission.MANAGE_USERS
    column_list = ["created_at", "actor_email", "action", "target_type", "target_id", "details"]
    column_list += ["ip_address"]
    column_filters = [*action_filters(), "actor_email"]

    def log_owner(self):
        return current_user.organization


def register(admin: Admin) -> dict[str, str]:
    """Add the views at readable URLs; returns {old URL part: new} for those that moved.
    Endpoint names stay what templates' url_for use."""
    urls = {
        "portal_institutions": "institutions",
        "portal_syncs": "sync-status",
        "portal_api_key": "api-key",
        "portal_users": "users",
        "portal_usage": "usage",
        "portal_upgrade": "upgrade",
        "portal_audit": "audit",
    }

    def at(endpoint: str) -> dict[str, str]:
        return {"endpoint": endpoint, "url": urls[endpoint]}

    admin.add_view(IssuesView("Issues", url="issues", endpoint="portal_issues"))
    admin.add_menu_item(CountedLink())
    admin.add_view(InstitutionsView(Enrollment, "Institutions", **at("portal_institutions")))
    admin.add_view(SyncHealthView(Sync, "Sync status", **at("portal_syncs")))
    admin.add_view(SyncSetupView(name="Sync setup", url="syncs", endpoint="portal_sync_setup"))
    admin.add_view(PortalImportsView("Upload CSV", url="imports", endpoint="portal_imports"))
    admin.add_view(ApiKeyView("API Key", **at("portal_api_key")))
    admin.add_view(RequestsView("Requests", url="requests", endpoint="portal_requests"))
    admin.add_view(SandboxView("Sandbox", url="sandbox", endpoint="portal_sandbox"))
    admin.add_view(UsersView(User, "Users", **at("portal_users")))
    admin.add_view(UsageView("Usage", **at("portal_usage")))
    admin.add_view(WebhooksView("Webhooks", url="webhooks", endpoint="portal_webhooks"))
    admin.add_view(UpgradeView("Upgrade", **at("portal_upgrade")))
    admin.add_view(AuditLogView(AuditEvent, "Audit log", **at("portal_audit")))
    return urls
