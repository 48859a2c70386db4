"""What both consoles' audit log pages share: each action in words ("Sign-in refused: wrong
email or password"), on the page, its details and its CSV export, and a "What happened"
filter that offers the actions by those words rather than asking for their codes."""

from flask_admin.contrib.sqla.filters import FilterEqual, FilterNotEqual

from portal.admin_views import csv_exports
from portal.models import AuditEvent
from portal.services import audit

WHAT_HAPPENED = "What happened"


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
    column_formatters = {"action": csv_exports.of_value(audit.describe)}
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
