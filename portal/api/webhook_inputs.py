"""What the webhook and onboarding operations read, declared once as Structs that validate
the request and generate the parameters and bodies of /api/openapi.json."""

from typing import Annotated, Literal

from msgspec import Meta, Struct

from portal.api.inputs import Flag, Paged, Query
from portal.edge.fields import Email, Id, described, nonblank, text
from portal.models import OnboardingStatus
from portal.services.events import KINDS, RESOURCE_TYPES
from portal.services.onboarding import hosted
from portal.services.webhooks.targets import MAX_URL_LENGTH

EventName = Literal[tuple(KINDS)]
ResourceType = Literal[tuple(RESOURCE_TYPES)]
TargetUrl = text(
    MAX_URL_LENGTH,
    "Where the messages are POSTed: HTTPS, to a public address (never a loopback, private "
    "or link-local one).",
)
Subdomain = text(200, "The institution; leave it out for Onboarding events.")
SystemCode = Literal[tuple(sorted(system.code for system in hosted.systems()))]


class WebhookEndpoints(Query, kw_only=True):
    active: described(Flag, "Only endpoints that are on (true) or off (false).") = None


class WebhookEndpointCreate(Struct, kw_only=True):
    target_url: TargetUrl
    active: described(bool, "Whether it receives messages (default true).") = True


class WebhookEndpointChange(Struct, kw_only=True):
    """Set what changes. Turning an endpoint on again gives it a full retry window."""

    target_url: TargetUrl | None = None
    active: described(Flag, "Turn the endpoint off (false) or on again (true).") = None


class WebhookSubscriptions(Query, kw_only=True):
    subdomain: text(200, "Only subscriptions in this institution.") | None = None
    resource_type: ResourceType | None = None
    event: EventName | None = None


class SubscriptionAt(Query, kw_only=True):
    subdomain: Subdomain | None = None


class WebhookSubscriptionCreate(Struct, kw_only=True):
    resource_type: described(ResourceType, "The resource the event is about.")
    event: described(EventName, "The event to receive.")
    active: described(bool, "Paused subscriptions receive nothing (default true).") = True


class WebhookSubscriptionChange(Struct, kw_only=True):
    new_endpoint_id: described(
        Id | None, "Move the subscription to another of your endpoints in the same mode."
    ) = None
    active: described(Flag, "Pause (false) or resume (true) the subscription.") = None


class Onboardings(Paged, kw_only=True):
    per_page: Annotated[int, Meta(ge=1, le=1000, description="Results per page.")] = 5
    subdomain: text(200, "Only onboardings of this institution.") | None = None
    status: Literal[tuple(s.value for s in OnboardingStatus)] | None = None
    sort: Annotated[
        Literal["created_at", "-created_at"], Meta(description="Newest first by default.")
    ] = "-created_at"


class NewOnboarding(Struct, kw_only=True):
    """A new practice (institution_name) or one you reach (subdomain, which wins when both
    are given). Details left out are asked of the practice on the setup page."""

    institution_name: nonblank(100, "A new practice's name.") | None = None
    institution_zip_code: text(10) | None = None
    institution_website: text(200) | None = None
    institution_email: Email | None = None
    institution_street_address: text(200) | None = None
    institution_city: text(100) | None = None
    institution_state: text(20) | None = None
    institution_phone_number: text(30) | None = None
    subdomain: text(200, "An institution you reach, to add a system to it.") | None = None
    emr_name: described(SystemCode | None, "The practice's health record system.") = None


class OnboardingCreate(Struct):
    onboarding: NewOnboarding
