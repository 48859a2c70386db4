"""The delivery log of an endpoint (kept 30 days), and what a developer does from it: send
a test event, replay a delivery."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.models import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.services import Conflict, commit, events, tenancy
from portal.services.webhooks import acting
from portal.services.webhooks.deliveries import failing

KEPT_FOR = timedelta(days=30)
PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    deliveries: list[WebhookDelivery]
    page: int
    pages: int
    total: int
    attempts: dict[int, list[WebhookAttempt]]  # of each delivery on the page, in order

    def attempts_of(self, delivery: WebhookDelivery) -> list[WebhookAttempt]:
        return self.attempts[delivery.id]


def page_of(endpoint: WebhookEndpoint, *, failures_only: bool = False, page: int = 0) -> Page:
    """A page of the endpoint's deliveries, newest first, each with its event and attempts."""
    where = [WebhookDelivery.endpoint_id == endpoint.id]
    if failures_only:
        where.append(failing)
    total = db.session.scalar(select(func.count(WebhookDelivery.id)).where(*where))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = db.session.scalars(
        select(WebhookDelivery)
        .where(*where)
        .options(selectinload(WebhookDelivery.event))
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return Page(rows, page, pages, total, _attempts([row.id for row in rows]))


def _attempts(delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of every delivery in `delivery_ids`, in one query."""
    grouped = {delivery_id: [] for delivery_id in delivery_ids}
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    for attempt in db.session.scalars(query):
        grouped[attempt.delivery_id].append(attempt)
    return grouped


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return _attempts([delivery.id])[delivery.id]


def get_for(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    found = db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    if found is None:
        raise tenancy.refused(WebhookDelivery, delivery_id, "Delivery not found.")
    return found


def send_test(endpoint: WebhookEndpoint, *, by) -> WebhookDelivery:
    """Queue a test event for this endpoint only (the worker sends it within seconds).
    Raises Conflict while the endpoint is off."""
    _check_on(endpoint)
    delivery = WebhookDelivery(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event=events.record_test(endpoint),
    )
    db.session.add(delivery)
    db.session.flush()
    acting.audit(by, "webhook_endpoint.test_sent", endpoint, delivery_id=delivery.id)
    commit()
    return delivery


def replay(delivery: WebhookDelivery, *, by) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again, as a new delivery (its own id and
    retries). Raises Conflict while the endpoint is off."""
    endpoint = delivery.endpoint
    _check_on(endpoint)
    again = WebhookDelivery(
        organization_id=delivery.organization_id,
        endpoint_id=endpoint.id,
        event_id=delivery.event_id,
        replay_of_id=delivery.id,
    )
    db.session.add(again)
    db.session.flush()
    acting.audit(by, "webhook_delivery.replayed", delivery, replay_id=again.id)
    commit()
    return again


def forget_old(_worker: str = "") -> int:
    """Delete log entries and events older than KEPT_FOR (a periodic worker task)."""
    cutoff = clock.now() - KEPT_FOR
    done = db.session.execute(
        delete(WebhookAttempt).where(WebhookAttempt.attempted_at < cutoff)
    ).rowcount
    done += db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.created_at < cutoff, WebhookDelivery.status != DeliveryStatus.SENDING
        )
    ).rowcount
    unused = ~exists().where(WebhookDelivery.event_id == Event.id)
    done += db.session.execute(
        delete(Event).where(Event.created_at < cutoff, Event.fanned_out_at.is_not(None), unused)
    ).rowcount
    db.session.commit()
    return done


def _check_on(endpoint: WebhookEndpoint) -> None:
    if not endpoint.active:
        raise Conflict("This endpoint is off: re-enable it first.")
