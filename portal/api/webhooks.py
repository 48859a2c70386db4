"""Webhook endpoints and their subscriptions, as NexHealth's API has them. They belong to
the key's organization and mode, not to the key: a rotated key leaves them working."""

from flask import g

from portal import edge
from portal.api import webhook_inputs as reads
from portal.api import webhook_shapes as shaped
from portal.api.operations import Listed, One, operation
from portal.models import WebhookEndpoint
from portal.services import NotFound
from portal.services.records import api_access
from portal.services.webhooks import endpoints, subscriptions

TAG = "Webhooks"


def _endpoint(id: int) -> WebhookEndpoint:
    return endpoints.get_for(g.caller.organization, g.caller.mode, id)


def _institution(subdomain: str | None):
    return api_access.institution(g.caller, subdomain) if subdomain else None


@operation(
    "GET",
    "/webhook_endpoints",
    "Your webhook endpoints in the key's mode",
    query=reads.WebhookEndpoints,
    answer=Listed(shaped.WebhookEndpoint),
    tag=TAG,
)
def list_webhook_endpoints(query: reads.WebhookEndpoints):
    found = endpoints.for_organization(g.caller.organization, g.caller.mode, active=query.active)
    return edge.collection([shaped.endpoint(row) for row in found])


@operation(
    "POST",
    "/webhook_endpoints",
    "Create a webhook endpoint (its secret_key is shown in full only here)",
    body=reads.WebhookEndpointCreate,
    answer=One(shaped.WebhookEndpoint),
    statuses=(201,),
    errors=(409,),
    tag=TAG,
)
def create_webhook_endpoint(body: reads.WebhookEndpointCreate):
    created = endpoints.create(
        g.caller.organization,
        g.caller.mode,
        target_url=body.target_url,
        active=body.active,
        by=g.caller,
    )
    answer = shaped.endpoint(created.endpoint, created.secret)
    return edge.success(answer, 201, "Webhook endpoint created")


@operation(
    "PATCH",
    "/webhook_endpoints/<int:id>",
    "Change a webhook endpoint's target, or turn it off or on",
    body=reads.WebhookEndpointChange,
    answer=One(shaped.WebhookEndpoint),
    errors=(404,),
    tag=TAG,
)
def change_webhook_endpoint(id: int, body: reads.WebhookEndpointChange):
    row = endpoints.change(
        _endpoint(id), target_url=body.target_url, active=body.active, by=g.caller
    )
    return edge.success(shaped.endpoint(row))


@operation(
    "DELETE",
    "/webhook_endpoints/<int:id>",
    "Delete a webhook endpoint with its subscriptions",
    answer=None,
    statuses=(204,),
    errors=(404,),
    tag=TAG,
)
def delete_webhook_endpoint(id: int):
    endpoints.delete(_endpoint(id), by=g.caller)
    return edge.no_content()


@operation(
    "GET",
    "/webhook_endpoints/<int:id>/webhook_subscriptions",
    "An endpoint's subscriptions",
    query=reads.WebhookSubscriptions,
    answer=Listed(shaped.WebhookSubscription),
    errors=(403, 404),
    tag=TAG,
)
def list_webhook_subscriptions(id: int, query: reads.WebhookSubscriptions):
    found = subscriptions.for_endpoint(
        _endpoint(id),
        institution=_institution(query.subdomain),
        resource_type=query.resource_type,
        event=query.event,
    )
    return edge.collection([shaped.subscription(row) for row in found])


@operation(
    "POST",
    "/webhook_endpoints/<int:id>/webhook_subscriptions",
    "Subscribe an endpoint to an event (in the institution of subdomain)",
    query=reads.SubscriptionAt,
    body=reads.WebhookSubscriptionCreate,
    answer=One(shaped.WebhookSubscription),
    statuses=(201,),
    errors=(403, 404, 409),
    tag=TAG,
)
def create_webhook_subscription(
    id: int, query: reads.SubscriptionAt, body: reads.WebhookSubscriptionCreate
):
    endpoint = _endpoint(id)
    row = subscriptions.subscribe(
        endpoint,
        resource_type=body.resource_type,
        event=body.event,
        institution=_institution(query.subdomain),
        active=body.active,
        by=g.caller,
    )
    return edge.success(shaped.subscription(row), 201, "Webhook subscription created")


@operation(
    "PATCH",
    "/webhook_endpoints/<int:id>/webhook_subscriptions/<int:subscription_id>",
    "Pause, resume or move a subscription to another endpoint",
    query=reads.SubscriptionAt,
    body=reads.WebhookSubscriptionChange,
    answer=One(shaped.WebhookSubscription),
    errors=(403, 404, 409),
    tag=TAG,
)
def change_webhook_subscription(
    id: int,
    subscription_id: int,
    query: reads.SubscriptionAt,
    body: reads.WebhookSubscriptionChange,
):
    row = _subscription(id, subscription_id, query.subdomain)
    moved_to = _endpoint(body.new_endpoint_id) if body.new_endpoint_id else None
    row = subscriptions.change(row, active=body.active, new_endpoint=moved_to, by=g.caller)
    return edge.success(shaped.subscription(row))


@operation(
    "DELETE",
    "/webhook_endpoints/<int:id>/webhook_subscriptions/<int:subscription_id>",
    "Delete a subscription",
    answer=None,
    statuses=(204,),
    errors=(404,),
    tag=TAG,
)
def delete_webhook_subscription(id: int, subscription_id: int):
    subscriptions.unsubscribe(_subscription(id, subscription_id), by=g.caller)
    return edge.no_content()


def _subscription(id: int, subscription_id: int, subdomain: str | None = None):
    row = subscriptions.get_for(_endpoint(id), subscription_id)
    institution = _institution(subdomain)
    if institution is not None and row.institution_id != institution.id:
        raise NotFound("Webhook subscription not found.")
    return row
