"""Webhook endpoints, subscriptions and onboardings in the reference API's shapes, each
declared once as a Struct that serialises the answer and generates its schema."""

from typing import Literal

from msgspec import Struct

from portal.api.shapes import timestamp
from portal.edge.fields import Timestamp, described
from portal.models import Onboarding as OnboardingRow
from portal.models import WebhookEndpoint as EndpointRow
from portal.models import WebhookSubscription as SubscriptionRow
from portal.services.onboarding import hosted
from portal.services.webhooks import endpoints


class WebhookEndpoint(Struct):
    id: int
    target_url: str
    secret_key: described(
        str,
        "Signs every message. In full only in the answer that created the endpoint; "
        "elsewhere its last four characters.",
    )
    active: bool
    created_at: Timestamp
    updated_at: Timestamp


class WebhookSubscription(Struct):
    id: int
    webhook_endpoint_id: int
    institution_id: described(int | None, "None for Onboarding events.")
    resource_type: str
    event: str
    active: bool
    created_at: Timestamp
    updated_at: Timestamp


class Onboarding(Struct):
    id: str
    created_at: Timestamp
    subdomain: described(str | None, "None until the practice's institution exists.")
    url: described(str, "The setup link to hand to the practice; it expires.")
    url_expires_at: Timestamp
    status: Literal["in_progress", "complete", "failed"]
    booking_params: dict | None
    availability_ready_at: Timestamp | None


def endpoint(row: EndpointRow, secret: str | None = None) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        target_url=row.target_url,
        secret_key=secret or endpoints.masked_secret(row),
        active=row.active,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def subscription(row: SubscriptionRow) -> WebhookSubscription:
    return WebhookSubscription(
        id=row.id,
        webhook_endpoint_id=row.endpoint_id,
        institution_id=row.institution_id,
        resource_type=row.resource_type,
        event=row.event,
        active=row.active,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def onboarding(row: OnboardingRow) -> Onboarding:
    return Onboarding(**hosted.summary(row))
