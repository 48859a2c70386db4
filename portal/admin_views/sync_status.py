"""The Sync status overview of `/portal`: every sync of the organization's institutions in
the current mode, with read and write health, stalest first, filterable to red."""

from flask import url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from markupsafe import Markup

from portal.admin_views.base import PortalModelView
from portal.models import Sync
from portal.services.onboarding import catalogue, sync_health
from portal.services.onboarding.sync_health import Health

HEALTH_BADGES = {Health.GREEN: "success", Health.RED: "danger", Health.PENDING: "secondary"}
SECRET_COLUMNS = [
    "product_key_digest",
    "product_key_encrypted",
    "agent_token_digest",
    "extension_token_encrypted",
    "credentials_password_encrypted",
]


class HealthFilter(BaseSQLAFilter):
    """Read or write stale (red), both fresh (green), or no report yet (pending)."""

    def __init__(self):
        options = [(h.value, "pending install" if h is Health.PENDING else h.value) for h in Health]
        super().__init__(Sync.last_read_at, "Health", options=options)

    def apply(self, query, value, alias=None):
        return query.filter(sync_health.clause(Health(value)))

    def operation(self):
        return "is"

    def validate(self, value):
        return value in {h.value for h in Health}


def health_cell(field: str):
    def format_cell(view, context, row, name):
        moment = getattr(row, field)
        state = sync_health.of(moment)
        label = "pending install" if state is Health.PENDING else state.value
        ago = "" if moment is None else f" {sync_health.ago(moment)}"
        return Markup('<span class="badge badge-{} health-{}">{}</span><small>{}</small>').format(
            HEALTH_BADGES[state], state.value, label, ago
        )

    return format_cell


def _system(view, context, row, name):
    return catalogue.name_of(row.ehr)


class SyncStatusView(PortalModelView):
    mode_scoped = True
    column_list = ["institution.name", "ehr", "server_name", "status", "read", "write"]
    column_labels = {
        "institution.name": "Institution",
        "ehr": "Health record system",
        "server_name": "Server",
        "read": "Last read",
        "write": "Last write",
    }
    column_formatters = {
        "ehr": _system,
        "status": lambda v, c, row, n: row.status.value.replace("_", " "),
        "read": health_cell("last_read_at"),
        "write": health_cell("last_write_at"),
    }
    column_formatters_export = {
        "read": lambda v, c, row, n: row.last_read_at,
        "write": lambda v, c, row, n: row.last_write_at,
    }
    column_sortable_list = [
        ("institution.name", "institution.name"),
        "ehr",
        "status",
        ("read", sync_health.staleness),
        ("write", Sync.last_write_at),
    ]
    column_filters = [HealthFilter(), "status", "ehr"]
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    list_template = "portal/sync_status.html"

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            # Stalest first; syncs that never reported come last.
            order = (sync_health.staleness.is_(None), sync_health.staleness, Sync.id)
            return query.order_by(*order), joins
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(Sync.id), joins

    def red_only_url(self) -> str:
        index = next(i for i, f in enumerate(self._filters) if isinstance(f, HealthFilter))
        arg = f"flt0_{self.get_filter_arg(index, self._filters[index])}"
        return url_for(".index_view", **{arg: Health.RED.value})
