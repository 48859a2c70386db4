"""What both consoles' audit log pages share: each action in words ("Sign-in refused: wrong
email or password"), on the page, its details and its CSV export, and a "What happened"
filter that offers the actions by those words rather than asking for their codes."""

from flask_admin.contrib.sqla.filters import FilterEqual, FilterNotEqual

from portal import catalogue, readable
from portal.admin_views import csv_exports
from portal.admin_views.base import words
from portal.models import AuditEvent
from portal.services import audit, events

WHAT_HAPPENED = "What happened"
# Details that hold a code, and how each reads; the rest read as any column's value.
DETAIL_WORDS = {
    "before": readable.code,
    "after": readable.code,
    "status": readable.code,
    "mode": readable.code,
    "event": events.label,
    "ehr": catalogue.name_of,
}


def details(values: dict | None) -> str:
    """An audit row's details in words: "before: Installing · after: Active"; empty ones
    (a transition without a reason) left out."""
    return " · ".join(
        f"{key.replace('_', ' ')}: {_detail(key, value)}"
        for key, value in (values or {}).items()
        if value not in ("", None, [], {})
    )


def _detail(key: str, value) -> str:
    read = DETAIL_WORDS.get(key)
    return read(value) if read and isinstance(value, str) else words(value)


def action_filters() -> list:
    return [
        FilterEqual(AuditEvent.action, WHAT_HAPPENED),
        FilterNotEqual(AuditEvent.action, WHAT_HAPPENED),
    ]


class AuditColumns:
    """Mixed into each console's audit view (before its model view class)."""

    column_labels = {
        "created_at": "When",
        "actor_email": "Who",
        "action": WHAT_HAPPENED,
        "target_type": "Record",
        "target_id": "Record number",
        "details": "Details",
        "ip_address": "Client address",
    }
    column_formatters = {
        "action": csv_exports.of_value(audit.describe),
        "target_type": csv_exports.of_value(audit.record_name),
        "details": csv_exports.of_value(details),
    }
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_default_sort = ("created_at", True)

    def log_owner(self):
        """The organization whose log this is (None: every organization's)."""
        return None

    def _get_filter_groups(self):
        # Flask-Admin reads a filter's options once, at start-up: the log's actions are read
        # on each page view instead, which turns the text box into a dropdown of words.
        groups = super()._get_filter_groups()
        if groups and WHAT_HAPPENED in groups:
            actions = audit.actions_recorded(self.log_owner())
            offered = sorted(
                ((action, audit.describe(action)) for action in actions),
                key=lambda pair: pair[1].lower(),
            )
            for item in groups[WHAT_HAPPENED]:
                item["options"] = offered
        return groups
