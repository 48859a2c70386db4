"""The ops Syncs queue: every organization's syncs, filterable by install method, stage,
system and health, with the install actions as bulk actions (see bulk.py)."""

from datetime import datetime

from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.admin_views.sync_health import SECRET_COLUMNS, HealthFilter, health_cell
from portal.models import Sync
from portal.services.onboarding import catalogue
from portal.services.syncs import installs, lifecycle

EMAILED = "each organization's admins are emailed"


def _skip_reason(action: str):
    return lambda sync: lifecycle.refusal(sync, action)


def _windows(sync: Sync) -> list[tuple[str, str]]:
    def label(window: str) -> str:
        start = datetime.fromisoformat(window)
        return start.strftime("%a %d %b %Y, %H:%M ") + (start.tzname() or "")

    return [(window, label(window)) for window in sync.proposed_windows or []]


class OpsSyncsView(BulkActionsMixin, OpsModelView):
    column_list = [
        "id",
        "institution",
        "created_by_org",
        "ehr",
        "install_method",
        "server_name",
        "status",
        "proposed_windows",
        "confirmed_window_start",
        "read",
        "write",
    ]
    column_labels = {
        "created_by_org": "Organization",
        "ehr": "System",
        "read": "Last read",
        "write": "Last write",
        "confirmed_window_start": "Confirmed window",
    }
    column_formatters = {
        "ehr": lambda v, c, row, n: catalogue.name_of(row.ehr),
        "read": health_cell("last_read_at"),
        "write": health_cell("last_write_at"),
    }
    column_formatters_export = {
        "read": lambda v, c, row, n: row.last_read_at,
        "write": lambda v, c, row, n: row.last_write_at,
    }
    column_filters = ["install_method", "status", "ehr", HealthFilter()]
    column_select_related_list = [Sync.institution, Sync.created_by_org]
    column_sortable_list = ["id", "status", "ehr", "install_method", "confirmed_window_start"]
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    bulk_actions = {
        "confirm_window": BulkAction(
            "Confirm install window",
            installs.confirm_windows,
            f"Pick one of the windows each developer proposed; {EMAILED} with it.",
            done="Confirm install window: {n} sync(s) updated.",
            refusal=_skip_reason("confirm_window"),
            choices=_windows,
            choice_option="windows",
            all_matching=False,  # each sync needs its own choice
        ),
        "mark_installed": BulkAction(
            "Mark installed",
            installs.mark_installed,
            f"The syncs become active and their enrollments move on; {EMAILED}.",
            done="Mark installed: {n} sync(s) updated.",
            refusal=_skip_reason("mark_installed"),
        ),
        "reject_credentials": BulkAction(
            "Mark credentials rejected",
            installs.reject_credentials,
            "The syncs go back to the developers' TO DO list for new credentials; "
            f"{EMAILED} the reason.",
            done="Mark credentials rejected: {n} sync(s) updated.",
            reason=True,
            refusal=_skip_reason("reject_credentials"),
        ),
        "mark_failed": BulkAction(
            "Mark failed",
            installs.mark_failed,
            f"The syncs and their enrollments fail with this reason; {EMAILED}.",
            done="Mark failed: {n} sync(s) updated.",
            reason=True,
            refusal=_skip_reason("fail"),
        ),
    }

    def row_name(self, row: Sync) -> str:
        return f"sync #{row.id} ({row.institution.name})"
