"""The Sync status page of `/portal`: the read and write health of every sync the
organization can see in the current mode, stalest first, filterable to red."""

from flask import url_for
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from portal import catalogue
from portal.admin_views.base import PortalModelView
from portal.models import Sync, SyncStage
from portal.services.syncs import health
from portal.services.syncs.health import Health

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
        options = [(state.value, health.LABELS[state]) for state in Health]
        super().__init__(Sync.last_read_at, "Health", options=options)

    def apply(self, query, value, alias=None):
        return query.filter(health.clause(Health(value)))

    def operation(self):
        return "is"

    def validate(self, value):
        return value in {h.value for h in Health}


def health_cell(field: str):
    def format_cell(view, context, row, name):
        moment = getattr(row, field)
        state = health.of(moment)
        ago = "" if moment is None else f" {health.ago(moment)}"
        if getattr(row, "status", None) is SyncStage.FAILED:  # it stopped: freshness says nothing
            return Markup('<span class="badge badge-danger health-failed">Failed</span>')
        # "Stale" and when it was last heard from: "Stale 3 h 3 hours ago" said it twice.
        return Markup('<span class="badge badge-{} health-{}">{}</span><small>{}</small>').format(
            HEALTH_BADGES[state], state.value, health.LABELS[state], ago
        )

    return format_cell


def _system(view, context, row, name):
    return catalogue.name_of(row.ehr)


def _own_server(view, context, row, name):
    # Another organization's server names stay theirs, even once the practice let us in.
    return row.server_name if row.created_by_org_id == current_user.organization_id else ""


class SyncHealthView(PortalModelView):
    mode_scoped = True
    column_list = ["institution.name", "ehr", "server_name", "status", "read", "write"]
    column_labels = {
        "institution.name": "Institution",
        "ehr": "Health record system",
        "server_name": "Server",
        "read": "Last read",
        "write": "Last write",
    }
    # What another organization's sync shows: system, stage and health; never its creator,
    # credentials, server or host names (tenancy hides it entirely before a grant).
    column_details_list = column_export_list = [
        "institution.name",
        "ehr",
        "server_name",
        "status",
        "last_read_at",
        "last_write_at",
    ]
    column_formatters = {
        "ehr": _system,
        "server_name": _own_server,
        "status": lambda v, c, row, n: row.status.label,
        "read": health_cell("last_read_at"),
        "write": health_cell("last_write_at"),
    }
    column_formatters_export = {"server_name": _own_server}
    column_sortable_list = [
        ("institution.name", "institution.name"),
        "ehr",
        "status",
        ("read", health.staleness),
        ("write", Sync.last_write_at),
    ]
    column_filters = [HealthFilter(), "status", "ehr"]
    list_template = "portal/sync_status.html"

    def get_query(self):
        # Each row and details page names its institution: joined, not one query per row.
        return super().get_query().options(joinedload(Sync.institution))

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        if sort_column is None:
            # Stalest first; syncs that never reported come last.
            order = (health.staleness.is_(None), health.staleness, Sync.id)
            return query.order_by(*order), joins
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(Sync.id), joins

    def red_only_url(self) -> str:
        index = next(i for i, f in enumerate(self._filters) if isinstance(f, HealthFilter))
        arg = f"flt0_{self.get_filter_arg(index, self._filters[index])}"
        return url_for(".index_view", **{arg: Health.RED.value})
