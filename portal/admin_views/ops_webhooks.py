"""Webhooks across organizations, for staff: every endpoint (the turned-off ones on a tile
of the queues) and every delivery, filterable to those failing. Read-only: the developers
re-enable and replay from their own Webhooks page."""

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy.orm import joinedload

from portal import readable
from portal.admin_views.base import OpsModelView
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.services import events
from portal.services.webhooks import oversight

ENDPOINT_COLUMNS = [
    "organization",
    "mode",
    "target_url",
    "active",
    "failing_since",
    "disabled_at",
    "disabled_reason",
    "created_at",
]
DELIVERY_COLUMNS = [
    "created_at",
    "organization",
    "endpoint",
    "event",
    "status",
    "attempts",
    "last_attempt_at",
    "last_status_code",
    "last_error",
    "next_attempt_at",
]


class FailingFilter(BaseSQLAFilter):
    """Failing: failed for good, or the last attempt failed and retries go on."""

    def __init__(self):
        super().__init__(WebhookDelivery.id, "Failing", options=[("yes", "Yes")])

    def apply(self, query, value, alias=None):
        return query.filter(oversight.failing())

    def operation(self):
        return "is"

    def validate(self, value):
        return value == "yes"


def _organization(view, context, delivery, name) -> str:
    return delivery.endpoint.organization.name


def _endpoint(view, context, delivery, name) -> str:
    return delivery.endpoint.target_url


def _event(view, context, delivery, name) -> str:
    return events.label(delivery.event.name)


def _attempted(view, context, delivery, name) -> str:
    return readable.when(delivery.last_attempt_at) or "Not yet"


def _next(view, context, delivery, name) -> str:
    waiting = delivery.status.value in ("pending", "sending")
    return readable.when(delivery.next_attempt_at) if waiting else ""


class OpsWebhookEndpointsView(OpsModelView):
    column_list = column_details_list = column_export_list = ENDPOINT_COLUMNS
    column_labels = {
        "target_url": "Target",
        "active": "On",
        "failing_since": "Failing since",
        "disabled_at": "Turned off",
        "disabled_reason": "Why it is off",
        "created_at": "Added",
    }
    column_searchable_list = ["target_url"]
    column_filters = ["active", "mode", "disabled_at", "failing_since"]
    column_default_sort = ("id", True)


class OpsWebhookDeliveriesView(OpsModelView):
    column_list = column_details_list = column_export_list = DELIVERY_COLUMNS
    column_labels = {
        "created_at": "Event at",
        "endpoint": "Target",
        "last_attempt_at": "Last attempt",
        "last_status_code": "Answer",
        "last_error": "What went wrong",
        "next_attempt_at": "Next attempt",
    }
    column_formatters = {
        "organization": _organization,
        "endpoint": _endpoint,
        "event": _event,
        "last_attempt_at": _attempted,
        "next_attempt_at": _next,
    }
    column_formatters_export = column_formatters
    column_filters = [FailingFilter(), "status", "created_at", "last_attempt_at"]
    column_default_sort = ("id", True)

    def get_query(self):
        # Each row names its organization, target and event: loaded with the page.
        endpoint = joinedload(WebhookDelivery.endpoint)
        return (
            super()
            .get_query()
            .options(endpoint.joinedload(WebhookEndpoint.organization))
            .options(joinedload(WebhookDelivery.event))
        )
