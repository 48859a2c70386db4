"""Delivering events to webhook endpoints, done by `flask worker`: fan each new event out
to the endpoints subscribed to it, then POST each due delivery, signed, to its target.

    pending  -> sending    a worker claims it (SKIP LOCKED on PostgreSQL), its endpoint on
    sending  -> succeeded  the receiver answered 2xx
    sending  -> pending    any other answer or none: tried again (`outcomes.RETRY_AFTER`)
    sending  -> failed     the last retry, 48 hours after the first attempt, failed too;
                           or its endpoint was turned off before it could go
    sending  -> pending    the claim lapsed (the worker stopped mid-attempt): sent again

An endpoint whose deliveries have failed for 48 hours without a success is turned off
(one conditional UPDATE, so it happens once) and the organization's admins are emailed.
Receivers may see a message twice (a worker that stopped mid-attempt); `delivery_id`
tells them it is the same one.
"""

import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from portal import clock
from portal.extensions import db
from portal.models import (
    DeliveryStatus,
    Event,
    Institution,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)
from portal.services import secrets
from portal.services.events import TEST_EVENT
from portal.services.webhooks import outcomes, sending, signing, targets

S = DeliveryStatus
FAN_OUT_BATCH, SEND_BATCH = 200, 10
USER_AGENT = "SyncPortal-Webhooks/1.0"
# Deliveries whose last attempt failed: the log's and the ops console's failures filter.
failing = or_(
    WebhookDelivery.status == S.FAILED,
    and_(WebhookDelivery.status != S.SUCCEEDED, WebhookDelivery.attempts > 0),
)


def fan_out(worker: str = "", limit: int = FAN_OUT_BATCH) -> int:
    """Create a pending delivery for every active subscription of each new event, in one
    transaction per batch; returns how many events were handled."""
    events = db.session.scalars(
        select(Event)
        .where(Event.fanned_out_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one worker
    ).all()
    subscribed: dict[tuple, list[int]] = {}  # a burst of events mostly shares one answer
    for event in events:
        key = (event.organization_id, event.mode, event.event, event.institution_id)
        if key not in subscribed:
            subscribed[key] = _subscribed_endpoints(event)
        for endpoint_id in subscribed[key]:
            db.session.add(
                WebhookDelivery(
                    organization_id=event.organization_id, endpoint_id=endpoint_id, event=event
                )
            )
        event.fanned_out_at = clock.now()
    db.session.commit()
    return len(events)


def _subscribed_endpoints(event: Event) -> list[int]:
    institution = (
        WebhookSubscription.institution_id.is_(None)
        if event.institution_id is None
        else WebhookSubscription.institution_id == event.institution_id
    )
    return db.session.scalars(
        select(WebhookEndpoint.id)
        .join(WebhookSubscription, WebhookSubscription.endpoint_id == WebhookEndpoint.id)
        .where(
            WebhookEndpoint.organization_id == event.organization_id,
            WebhookEndpoint.mode == event.mode,
            WebhookEndpoint.active.is_(True),
            WebhookSubscription.active.is_(True),
            WebhookSubscription.event == event.event,
            institution,
        )
        .distinct()
        .order_by(WebhookEndpoint.id)
    ).all()


def send_due(worker: str, limit: int = SEND_BATCH) -> int:
    """Attempt each due delivery of a claimed batch; returns how many were attempted."""
    _release_lapsed()
    ids = _claim(worker, limit)
    for delivery_id in ids:
        _attempt(worker, delivery_id)
    return len(ids)


def _claim(worker: str, limit: int) -> list[int]:
    now = clock.now()
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == S.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    claimed = []
    if due:
        lease = timedelta(seconds=current_app.config["WEBHOOK_CLAIM_SECONDS"])
        claimed = db.session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due), WebhookDelivery.status == S.PENDING)
            .values(status=S.SENDING, claimed_by=worker, claimed_until=now + lease)
            .returning(WebhookDelivery.id),
            execution_options={"synchronize_session": False},
        ).all()
    db.session.commit()
    return sorted(claimed)


def _release_lapsed() -> None:
    # A worker that stopped mid-attempt: the receiver may or may not have the message, and a
    # duplicate (same delivery_id) is better than a lost event.
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == S.SENDING, WebhookDelivery.claimed_until < clock.now())
        .values(status=S.PENDING, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _attempt(worker: str, delivery_id: int) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    url, secret = endpoint.target_url, secrets.decrypt(endpoint.secret_encrypted)
    body = message(delivery)
    verifies = delivery.event.event == TEST_EVENT  # accepted, it verifies the endpoint
    db.session.commit()  # no transaction stays open while the receiver takes its time
    outcomes.record(worker, delivery_id, post(url, secret, body), verifies=verifies)


def post(url: str, secret: str, body: bytes) -> sending.Answer:
    """Check the target again (its name may point elsewhere now), then POST to the address
    just checked. A refused target is a failed attempt that never connected."""
    config = current_app.config
    try:
        target = targets.parse(url)
        address = targets.addresses(target)[0]
    except targets.UnsafeTarget as refusal:
        return sending.Answer(None, "", 0, f"Not sent: {refusal}")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(secret, int(clock.now().timestamp()), body),
    }
    return sending.post(
        target,
        address,
        body,
        headers,
        timeout=config["WEBHOOK_TIMEOUT_SECONDS"],
        cap=config["WEBHOOK_RESPONSE_MAX_BYTES"],
    )


def message(delivery: WebhookDelivery) -> bytes:
    """The JSON body a delivery sends, the same on every attempt."""
    event = delivery.event
    institution = db.session.get(Institution, event.institution_id or 0)
    body = {
        "resource_type": event.resource_type,
        "event_name": event.name,
        "event_time": event.created_at.isoformat().replace("+00:00", "Z"),
        "delivery_id": delivery.id,
        "subdomain": institution.subdomain if institution else None,
        "institution_id": institution.id if institution else None,
        "data": event.payload,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()
