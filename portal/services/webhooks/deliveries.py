"""Delivering events to webhook endpoints, done by `flask worker`: fan each new event out
to the endpoints subscribed to it, then POST each due delivery, signed, to its target.

    pending  -> sending    a worker claims it (SKIP LOCKED on PostgreSQL), its endpoint on
    sending  -> succeeded  the receiver answered 2xx
    sending  -> pending    any other answer or none: tried again (`outcomes.RETRY_AFTER`)
    sending  -> failed     the last retry, 48 hours after the first attempt, failed too;
                           or its endpoint was turned off before it could go
    sending  -> pending    the claim lapsed (the worker stopped mid-batch): sent again;
                           or its batch ran long before it was sent (no attempt counted)

A worker claims a batch with one statement, sends it, and records every outcome of the
batch in one transaction. An endpoint whose deliveries have failed for 48 hours without a
success is turned off (one conditional UPDATE, so it happens once) and the organization's
admins are emailed. Receivers may see a message twice (a worker that stopped mid-batch);
`delivery_id` tells them it is the same one.
"""

import json
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update

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
from portal.services.events import TEST_EVENT
from portal.services.webhooks import dispatch, outcomes

S = DeliveryStatus
FAN_OUT_BATCH, SEND_BATCH = 200, 100
# Deliveries whose last attempt failed: the log's and the ops console's failures filter.
failing = or_(
    WebhookDelivery.status == S.FAILED,
    and_(WebhookDelivery.status != S.SUCCEEDED, WebhookDelivery.attempts > 0),
)


def fan_out(worker: str = "", limit: int = FAN_OUT_BATCH) -> int:
    """Create a pending delivery for every active subscription of each new event, in one
    transaction per batch (a few statements, whatever its size); returns how many events
    were handled."""
    events = db.session.execute(
        select(Event.id, Event.organization_id, Event.mode, Event.event, Event.institution_id)
        .where(Event.fanned_out_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one worker
    ).all()
    if not events:
        db.session.commit()
        return 0
    subscribed: dict[tuple, list[int]] = {}  # a burst of events mostly shares one answer
    rows = []
    for event in events:
        key = (event.organization_id, event.mode, event.event, event.institution_id)
        if key not in subscribed:
            subscribed[key] = _subscribed_endpoints(*key)
        rows += [
            {
                "organization_id": event.organization_id,
                "endpoint_id": endpoint_id,
                "event_id": event.id,
            }
            for endpoint_id in subscribed[key]
        ]
    if rows:
        db.session.execute(insert(WebhookDelivery.__table__), rows)
    db.session.execute(
        update(Event)
        .where(Event.id.in_([event.id for event in events]))
        .values(fanned_out_at=clock.now()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return len(events)


def _subscribed_endpoints(organization_id, mode, event, institution_id) -> list[int]:
    institution = (
        WebhookSubscription.institution_id.is_(None)
        if institution_id is None
        else WebhookSubscription.institution_id == institution_id
    )
    return db.session.scalars(
        select(WebhookEndpoint.id)
        .join(WebhookSubscription, WebhookSubscription.endpoint_id == WebhookEndpoint.id)
        .where(
            WebhookEndpoint.organization_id == organization_id,
            WebhookEndpoint.mode == mode,
            WebhookEndpoint.active.is_(True),
            WebhookSubscription.active.is_(True),
            WebhookSubscription.event == event,
            institution,
        )
        .distinct()
        .order_by(WebhookEndpoint.id)
    ).all()


def send_due(worker: str, limit: int = SEND_BATCH) -> int:
    """Claim a batch of due deliveries, POST them, and record every outcome at once;
    returns how many were claimed."""
    batch = _claim(worker, limit)
    if not batch:
        return 0
    lease = current_app.config["WEBHOOK_CLAIM_SECONDS"]
    sent, unsent = dispatch.send_all(batch, stop_at=time.monotonic() + lease / 2)
    outcomes.record_all(worker, sent, unsent)
    return len(batch)


def _claim(worker: str, limit: int) -> list[dispatch.Due]:
    """Claim up to `limit` due deliveries (one UPDATE; SKIP LOCKED on PostgreSQL, so two
    workers never claim the same one) and read what sending them needs; committed, so no
    transaction stays open while receivers take their time."""
    now = clock.now()
    _release_lapsed(now)
    due = (
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
        .cte("due")  # evaluated once (a subquery's LIMIT may be re-run per row on PostgreSQL)
    )
    lease = timedelta(seconds=current_app.config["WEBHOOK_CLAIM_SECONDS"])
    claimed = db.session.scalars(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(select(due.c.id)), WebhookDelivery.status == S.PENDING)
        .values(status=S.SENDING, claimed_by=worker, claimed_until=now + lease)
        .returning(WebhookDelivery.id),
        execution_options={"synchronize_session": False},
    ).all()
    batch = _load(sorted(claimed)) if claimed else []
    db.session.commit()
    return batch


def _release_lapsed(now) -> None:
    # A worker that stopped mid-attempt: the receiver may or may not have the message, and a
    # duplicate (same delivery_id) is better than a lost event.
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == S.SENDING, WebhookDelivery.claimed_until < now)
        .values(status=S.PENDING, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )


def _load(ids: list[int]) -> list[dispatch.Due]:
    """The claimed deliveries as plain rows, each with its endpoint and its message."""
    rows = db.session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.organization_id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.attempts,
            WebhookDelivery.first_attempt_at,
            WebhookEndpoint.target_url,
            WebhookEndpoint.secret_encrypted,
            Event.event,
            Event.resource_type,
            Event.name,
            Event.created_at,
            Event.payload,
            Institution.id.label("institution_id"),
            Institution.subdomain,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .outerjoin(Institution, Institution.id == Event.institution_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )
    return [
        dispatch.Due(
            row.id,
            row.organization_id,
            row.endpoint_id,
            row.attempts,
            row.first_attempt_at,
            row.target_url,
            row.secret_encrypted,
            message(row),
            verifies=row.event == TEST_EVENT,
        )
        for row in rows
    ]


def message(row) -> bytes:
    """The JSON body of a delivery (a row of `_load`), the same on every attempt."""
    body = {
        "resource_type": row.resource_type,
        "event_name": row.name,
        "event_time": row.created_at.isoformat().replace("+00:00", "Z"),
        "delivery_id": row.id,
        "subdomain": row.subdomain,
        "institution_id": row.institution_id,
        "data": row.payload,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()
