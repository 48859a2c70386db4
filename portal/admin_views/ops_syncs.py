"""The ops Syncs queue: every organization's syncs, filterable by install method, stage,
system and health, with the install actions as bulk actions (see bulk.py)."""

from datetime import datetime
from typing import NamedTuple

from flask_admin.contrib.sqla.filters import BaseSQLAFilter

from portal import catalogue, readable
from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.admin_views.sync_health import SECRET_COLUMNS, HealthFilter, health_cell
from portal.models import Sync, SyncStage
from portal.services import dashboards
from portal.services.syncs import health, installs, lifecycle

EMAILED = "each organization's admins are emailed"


def _skip_reason(action: str):
    return lambda sync: lifecycle.refusal(sync, action)


def _windows(sync: Sync) -> list[tuple[str, str]]:
    return [(window, readable.text(window)) for window in sync.proposed_windows or []]


class WorkFilter(BaseSQLAFilter):
    """Open: the organization still onboards the institution; dropped: it deactivated it."""

    def __init__(self):
        options = [("open", "Still wanted"), ("dropped", "Institution deactivated")]
        super().__init__(Sync.id, "Work", options=options)

    def apply(self, query, value, alias=None):
        wanted = dashboards.wanted_sync()
        return query.filter(wanted if value == "open" else ~wanted)

    def operation(self):
        return "is"

    def validate(self, value):
        return value in ("open", "dropped")


def _system(view, context, sync, name) -> str:
    server = f" · {sync.server_name}" if sync.server_name else ""
    return f"{catalogue.name_of(sync.ehr)}{server}"


def _window(view, context, sync, name) -> str:
    if sync.confirmed_window_start:
        return f"Confirmed {readable.when(sync.confirmed_window_start)}"
    return ", ".join(label for _, label in _windows(sync))


def _health(view, context, sync, name):
    # The older of the last read and write tells whether the sync keeps up.
    return health_cell("staleness")(view, context, _oldest(sync), name)


class _Oldest(NamedTuple):
    """What the health cell reads of a sync: the older of its last read and write."""

    staleness: datetime | None
    status: SyncStage


def _oldest(sync: Sync) -> _Oldest:
    moments = [m for m in (sync.last_read_at, sync.last_write_at) if m]
    return _Oldest(min(moments) if moments else None, sync.status)


class OpsSyncsView(BulkActionsMixin, OpsModelView):
    # Fits a 1366 px screen: one column each for the system (and server), the window and the
    # health; the rest is on each sync's details page.
    column_list = [
        "institution",
        "created_by_org",
        "system",
        "install_method",
        "status",
        "window",
        "health",
        "created_at",
    ]
    column_labels = {
        "created_by_org": "Organization",
        "created_at": "Created",
        "ehr": "System",
    }
    column_formatters = {
        "ehr": lambda v, c, row, n: catalogue.name_of(row.ehr),
        "system": _system,
        "window": _window,
        "health": _health,
        "proposed_windows": lambda v, c, row, n: ", ".join(label for _, label in _windows(row)),
    }
    column_formatters_export = {
        "system": lambda v, c, row, n: _system(v, c, row, n),
        "window": lambda v, c, row, n: _window(v, c, row, n),
        "health": lambda v, c, row, n: (
            "Failed" if row.status is SyncStage.FAILED else health.words(_oldest(row).staleness)
        ),
    }
    column_filters = [
        "install_method",
        "status",
        "ehr",
        HealthFilter(),
        WorkFilter(),
        "created_at",
        "confirmed_window_start",
    ]
    column_select_related_list = [Sync.institution, Sync.created_by_org]
    column_sortable_list = [
        ("institution", "institution.name"),
        "status",
        "install_method",
        ("window", Sync.confirmed_window_start),
        ("health", health.staleness),
        "created_at",
    ]
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    bulk_actions = {
        "confirm_window": BulkAction(
            "Confirm install window",
            installs.confirm_windows,
            f"Pick one of the windows each developer proposed; {EMAILED} with it.",
            done="Confirm install window: {rows} updated.",
            noun="sync",
            refusal=_skip_reason("confirm_window"),
            choices=_windows,
            choice_option="windows",
            all_matching=False,  # each sync needs its own choice
        ),
        "mark_installed": BulkAction(
            "Mark installed",
            installs.mark_installed,
            f"The syncs become active and their enrollments move on; {EMAILED}.",
            done="Mark installed: {rows} updated.",
            noun="sync",
            refusal=_skip_reason("mark_installed"),
        ),
        "reject_credentials": BulkAction(
            "Mark credentials rejected",
            installs.reject_credentials,
            "The syncs go back to the developers' TO DO list for new credentials; "
            f"{EMAILED} the reason.",
            done="Mark credentials rejected: {rows} updated.",
            noun="sync",
            reason=True,
            refusal=_skip_reason("reject_credentials"),
        ),
        "mark_failed": BulkAction(
            "Mark failed",
            installs.mark_failed,
            f"The syncs and their enrollments fail with this reason; {EMAILED}.",
            done="Mark failed: {rows} updated.",
            noun="sync",
            reason=True,
            refusal=_skip_reason("fail"),
        ),
    }

    def row_name(self, row: Sync) -> str:
        return f"sync #{row.id} ({row.institution.name})"
