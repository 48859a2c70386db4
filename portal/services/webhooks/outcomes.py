"""What an attempt's answer does (see the table in `deliveries`): the delivery succeeds,
waits for its next retry or fails; the endpoint's failure record follows, and an endpoint
failing for 48 hours is turned off once, its admins emailed."""

from datetime import datetime, timedelta

from sqlalchemy import update

from portal import clock, email
from portal.extensions import db
from portal.models import (
    DeliveryStatus,
    Organization,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.services import audit, milestones
from portal.services.claims import claim
from portal.services.webhooks.sending import Answer

S = DeliveryStatus
# Retries counted from the first attempt, as NexHealth schedules them: 30 s, 1.5 min,
# 3.5 min, 10 min, 30 min, 2 h, 5 h, 10 h, 24 h and 48 h.
RETRY_AFTER = tuple(
    timedelta(seconds=s) for s in (30, 90, 210, 600, 1800, 7200, 18000, 36000, 86400, 172800)
)
FAILING_FOR = RETRY_AFTER[-1]  # then the endpoint is turned off
EXCERPT_CHARS = 1000


def record(worker: str, delivery_id: int, answer: Answer, *, verifies: bool = False) -> None:
    """Log the attempt and move the delivery on, in one transaction. A test event's
    delivery (`verifies`) accepted marks the organization's webhook as verified, once."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    now = clock.now()
    _log(delivery, answer)
    attempts = delivery.attempts + 1
    values = {
        "attempts": attempts,
        "first_attempt_at": delivery.first_attempt_at or now,
        "last_attempt_at": now,
        "last_status_code": answer.status_code,
        "last_duration_ms": answer.duration_ms,
        "last_response_excerpt": answer.excerpt[:EXCERPT_CHARS],
        "last_error": answer.error or ("" if answer.succeeded else _http_error(answer)),
        "claimed_by": "",
        "claimed_until": None,
    }
    values.update(_next_step(delivery, answer, attempts, values["first_attempt_at"], now))
    mine = (WebhookDelivery.status == S.SENDING, WebhookDelivery.claimed_by == worker)
    if claim(delivery, *mine, **values):
        _follow(delivery.endpoint, answer, now)
        if verifies and answer.succeeded:
            organizations = [delivery.organization_id]
            db.session.execute(milestones.reached("webhook_verified_at", organizations, now))
    db.session.commit()


def _next_step(delivery, answer: Answer, attempts: int, first: datetime, now: datetime) -> dict:
    if answer.succeeded:
        return {"status": S.SUCCEEDED, "delivered_at": now}
    retries = attempts - 1
    if retries >= len(RETRY_AFTER):
        return {"status": S.FAILED}
    return {
        "status": S.PENDING,
        "next_attempt_at": max(first + RETRY_AFTER[retries], now),
    }


def _http_error(answer: Answer) -> str:
    return f"The receiver answered HTTP {answer.status_code}."


def _follow(endpoint: WebhookEndpoint, answer: Answer, now: datetime) -> None:
    """A success clears the endpoint's failure record; a failure starts it, or turns the
    endpoint off once it has lasted FAILING_FOR."""
    table = WebhookEndpoint
    if answer.succeeded:
        db.session.execute(
            update(table)
            .where(table.id == endpoint.id, table.failing_since.is_not(None))
            .values(failing_since=None),
            execution_options={"synchronize_session": False},
        )
        return
    db.session.execute(
        update(table)
        .where(table.id == endpoint.id, table.failing_since.is_(None))
        .values(failing_since=now),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(endpoint)
    if endpoint.active and endpoint.failing_since <= now - FAILING_FOR:
        turn_off(endpoint, answer.error or _http_error(answer))


def turn_off(endpoint: WebhookEndpoint, last_error: str) -> bool:
    """Turn a failing endpoint off (once, whoever else tries), fail what waits for it, and
    email the organization's admins. True when this call turned it off."""
    reason = f"Deliveries failed for 48 hours. The last error: {last_error}"
    if not claim(
        endpoint,
        WebhookEndpoint.active.is_(True),
        active=False,
        disabled_at=clock.now(),
        disabled_reason=reason[:1000],
    ):
        return False
    stop_pending(endpoint, "Not sent: the endpoint was turned off.")
    organization = db.session.get(Organization, endpoint.organization_id)
    audit.record(
        "webhook_endpoint.turned_off",
        actor=None,
        organization=organization,
        target=endpoint,
        reason=reason,
    )
    email.webhook_endpoint_turned_off(endpoint, organization, reason)
    return True


def stop_pending(endpoint: WebhookEndpoint, reason: str) -> None:
    """Deliveries still waiting for an endpoint that was turned off fail now (the log keeps
    them, replayable); it gets only new events once it is on again."""
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == S.PENDING)
        .values(status=S.FAILED, last_error=reason),
        execution_options={"synchronize_session": False},
    )


def _log(delivery: WebhookDelivery, answer: Answer) -> None:
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            number=delivery.attempts + 1,
            attempted_at=clock.now(),
            succeeded=answer.succeeded,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            response_excerpt=answer.excerpt[:EXCERPT_CHARS],
            error=answer.error,
        )
    )
