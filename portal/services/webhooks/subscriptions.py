"""What an endpoint listens to: one event of one resource, in one institution (or in none,
for onboardings), as NexHealth's webhook subscriptions. Only events we send can be chosen,
so a subscription never waits for something that cannot come."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.extensions import db
from portal.models import Institution, Mode, WebhookEndpoint, WebhookSubscription
from portal.services import Conflict, PortalError, commit, tenancy
from portal.services.events import KINDS, RESOURCE_TYPES, offered
from portal.services.records.api_access import InvalidField
from portal.services.webhooks import acting


def for_endpoint(
    endpoint: WebhookEndpoint,
    *,
    institution: Institution | None = None,
    resource_type: str | None = None,
    event: str | None = None,
) -> list[WebhookSubscription]:
    """The endpoint's subscriptions, oldest first. With an institution, only those in it
    (which leaves out onboarding subscriptions, as NexHealth does)."""
    query = select(WebhookSubscription).where(WebhookSubscription.endpoint_id == endpoint.id)
    if institution is not None:
        query = query.where(WebhookSubscription.institution_id == institution.id)
    if resource_type:
        query = query.where(WebhookSubscription.resource_type == _resource(resource_type))
    if event:
        query = query.where(WebhookSubscription.event == event)
    return db.session.scalars(query.order_by(WebhookSubscription.id)).all()


def by_endpoint(found: list[WebhookEndpoint]) -> dict[int, list[WebhookSubscription]]:
    """{endpoint id: its subscriptions, oldest first} for every endpoint in `found`, with
    their institutions, in one query whatever the number of endpoints."""
    grouped = {endpoint.id: [] for endpoint in found}
    query = (
        select(WebhookSubscription)
        .where(WebhookSubscription.endpoint_id.in_(list(grouped)))
        .options(joinedload(WebhookSubscription.institution))
        .order_by(WebhookSubscription.id)
    )
    for subscription in db.session.scalars(query):
        grouped[subscription.endpoint_id].append(subscription)
    return grouped


def get_for(endpoint: WebhookEndpoint, subscription_id: int) -> WebhookSubscription:
    found = db.session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.endpoint_id == endpoint.id,
        )
    )
    if found is None:
        raise tenancy.refused(
            WebhookSubscription, subscription_id, "Webhook subscription not found."
        )
    return found


def subscribe(
    endpoint: WebhookEndpoint,
    *,
    resource_type: str,
    event: str,
    institution: Institution | None,
    active: bool = True,
    by,
) -> WebhookSubscription:
    """Subscribe the endpoint to `event` of `resource_type` in `institution`. Institution
    events need one; onboarding events take none. Raises InvalidField for an event we do
    not send or a resource that does not fit it, Conflict for a repeated subscription."""
    resource = check(resource_type, event, institution, mode=endpoint.mode)
    if _existing(endpoint, event, institution) is not None:
        raise Conflict("This endpoint is already subscribed to that event there.")
    subscription = WebhookSubscription(
        endpoint_id=endpoint.id,
        institution_id=institution.id if institution is not None else None,
        resource_type=resource,
        event=event,
        active=bool(active),
    )
    db.session.add(subscription)
    db.session.flush()
    acting.audit(by, "webhook_subscription.created", subscription, event=event)
    commit()
    return subscription


def subscribe_to(endpoint: WebhookEndpoint, *, event: str, institution_id: int | None, by):
    """The portal's form: an event and, for institution events, one of the institutions the
    organization uses in the endpoint's mode."""
    kind = KINDS.get(event)
    if kind is None or event not in offered(endpoint.mode):
        raise InvalidField("event", "must be one of the events we send.")
    institution = None
    if kind.institution:
        if institution_id is None:
            raise PortalError("Choose the institution whose events you want.")
        institution = institution_for(endpoint.organization, endpoint.mode, institution_id)
    return subscribe(
        endpoint, resource_type=kind.resource_type, event=event, institution=institution, by=by
    )


def change(subscription: WebhookSubscription, *, active=None, new_endpoint=None, by):
    """Pause or resume a subscription, and/or move it to another endpoint of the same
    organization and mode (`new_endpoint`, already looked up within them)."""
    if new_endpoint is not None and new_endpoint.id != subscription.endpoint_id:
        if _existing(new_endpoint, subscription.event, subscription.institution) is not None:
            raise Conflict("That endpoint is already subscribed to this event there.")
        subscription.endpoint_id = new_endpoint.id
    if active is not None:
        subscription.active = bool(active)
    subscription.updated_at = clock.now()
    acting.audit(by, "webhook_subscription.changed", subscription, active=subscription.active)
    commit()
    db.session.refresh(subscription)
    return subscription


def unsubscribe(subscription: WebhookSubscription, *, by) -> None:
    acting.audit(by, "webhook_subscription.deleted", subscription, event=subscription.event)
    db.session.delete(subscription)
    commit()


def check(resource_type: str, event: str, institution: Institution | None, *, mode: Mode) -> str:
    """The resource type as we spell it, if `event` of it may be subscribed to here, by an
    endpoint of `mode`."""
    resource = _resource(resource_type)
    kind = KINDS.get(event)
    if kind is None:
        raise InvalidField("event", f"must be one of the events we send: {', '.join(KINDS)}.")
    if event not in offered(mode):
        raise InvalidField("event", f"{event} happens in production only: use a production key.")
    if kind.resource_type != resource:
        raise InvalidField("resource_type", f"of {event} is {kind.resource_type}.")
    if kind.institution and institution is None:
        raise InvalidField("subdomain", f"is required for {resource} events.")
    if not kind.institution and institution is not None:
        raise InvalidField("subdomain", f"must be left out for {resource} events.")
    return resource


def _resource(resource_type: str) -> str:
    # NexHealth's own examples write "appointment" as well as "Appointment".
    found = {name.lower(): name for name in RESOURCE_TYPES}.get((resource_type or "").lower())
    if found is None:
        raise InvalidField("resource_type", f"must be one of: {', '.join(RESOURCE_TYPES)}.")
    return found


def _existing(endpoint: WebhookEndpoint, event: str, institution: Institution | None):
    query = select(WebhookSubscription.id).where(
        WebhookSubscription.endpoint_id == endpoint.id, WebhookSubscription.event == event
    )
    if institution is None:
        query = query.where(WebhookSubscription.institution_id.is_(None))
    else:
        query = query.where(WebhookSubscription.institution_id == institution.id)
    return db.session.scalar(query.limit(1))


def institutions_for(organization, mode) -> list[Institution]:
    """The institutions an organization may subscribe to in `mode`: those it uses now."""
    return db.session.scalars(
        select(Institution)
        .where(Institution.id.in_(tenancy.granted_institution_ids(organization, mode)))
        .order_by(Institution.name, Institution.id)
    ).all()


def institution_for(organization, mode, institution_id: int) -> Institution:
    found = next((i for i in institutions_for(organization, mode) if i.id == institution_id), None)
    if found is None:
        raise InvalidField("institution", "is not one your organization uses.")
    return found
