"""What the answers of a batch do (see the table in `deliveries`): each delivery succeeds,
waits for its next retry or fails; each endpoint's failure record follows, and an endpoint
failing for 48 hours is turned off once, its admins emailed."""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update

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
from portal.services.webhooks.dispatch import Due, Sent
from portal.services.webhooks.sending import Answer

S = DeliveryStatus
# Retries counted from the first attempt, as NexHealth schedules them: 30 s, 1.5 min,
# 3.5 min, 10 min, 30 min, 2 h, 5 h, 10 h, 24 h and 48 h.
RETRY_AFTER = tuple(
    timedelta(seconds=s) for s in (30, 90, 210, 600, 1800, 7200, 18000, 36000, 86400, 172800)
)
FAILING_FOR = RETRY_AFTER[-1]  # then the endpoint is turned off
EXCERPT_CHARS = 1000
TURNED_OFF = "Not sent: the endpoint was turned off."


def record_all(worker: str, sent: list[Sent], unsent: list[Due] = ()) -> None:
    """Log every attempt of a batch and move each delivery on, in one transaction of a few
    statements whatever the batch's size. Only deliveries still claimed by `worker` move and
    have their attempt logged (a lapsed claim belongs to whoever claimed it since; a
    delivery deleted meanwhile, with its endpoint or organization, has nothing to log
    against); `unsent` ones wait again, no attempt counted, unless their endpoint was
    turned off meanwhile. A test event's delivery accepted marks the organization's webhook
    verified."""
    now = clock.now()
    if unsent:
        # Given back before any endpoint is turned off below, so that turning it off fails
        # them with the rest of what waits for it.
        released = _still_mine(worker, [due.id for due in unsent], S.PENDING)
        if released:
            _fail_if_off(released)
    if sent:
        won = _still_mine(worker, [s.due.id for s in sent], S.SENDING)
        mine = [s for s in sent if s.due.id in won]
        if mine:
            db.session.execute(insert(WebhookAttempt.__table__), [_attempt_row(s) for s in mine])
            db.session.execute(_MOVE, [_moved(s) for s in mine])
            _follow(mine, now)
            verified = {
                s.due.organization_id for s in mine if s.due.verifies and s.answer.succeeded
            }
            if verified:
                db.session.execute(milestones.reached("webhook_verified_at", verified, now))
    db.session.commit()


def _fail_if_off(ids: set[int]) -> None:
    """Deliveries given back to an endpoint that was turned off while they were out fail,
    as `stop_pending` failed what waited for it then."""
    off = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(False))
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(ids),
            WebhookDelivery.status == S.PENDING,
            WebhookDelivery.endpoint_id.in_(off),
        )
        .values(status=S.FAILED, last_error=TURNED_OFF),
        execution_options={"synchronize_session": False},
    )


def _still_mine(worker: str, ids: list[int], status: DeliveryStatus) -> set[int]:
    """Of `ids`, those `worker` still holds, released to `status` (their rows stay locked,
    or SQLite's one writer held, until the commit); the others are left alone."""
    table = WebhookDelivery
    return set(
        db.session.scalars(
            update(table)
            .where(table.id.in_(ids), table.status == S.SENDING, table.claimed_by == worker)
            .values(status=status, claimed_by="", claimed_until=None)
            .returning(table.id),
            execution_options={"synchronize_session": False},
        )
    )


# Each attempted delivery's new values (executemany: one statement for a batch). A delivery
# that succeeds or fails for good keeps its next_attempt_at.
_T = WebhookDelivery.__table__
_MOVE = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"))
    .values(
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=_T.c.next_attempt_at.type), _T.c.next_attempt_at
        )
    )
)


def _moved(sent: Sent) -> dict:
    due, answer, at = sent.due, sent.answer, sent.at
    attempts, first = due.attempts + 1, due.first_attempt_at or at
    values = {
        "b_id": due.id,
        "b_next": None,
        "attempts": attempts,
        "first_attempt_at": first,
        "last_attempt_at": at,
        "last_status_code": answer.status_code,
        "last_duration_ms": answer.duration_ms,
        "last_response_excerpt": answer.excerpt[:EXCERPT_CHARS],
        "last_error": answer.error or ("" if answer.succeeded else _http_error(answer)),
        "delivered_at": at if answer.succeeded else None,
    }
    values.update(_next_step(answer, attempts, first, at))
    return values


def _next_step(answer: Answer, attempts: int, first: datetime, now: datetime) -> dict:
    if answer.succeeded:
        return {"status": S.SUCCEEDED}
    retries = attempts - 1
    if retries >= len(RETRY_AFTER):
        return {"status": S.FAILED}
    return {"status": S.PENDING, "b_next": max(first + RETRY_AFTER[retries], now)}


def _http_error(answer: Answer) -> str:
    return f"The receiver answered HTTP {answer.status_code}."


def _follow(mine: list[Sent], now: datetime) -> None:
    """Each endpoint's failure record follows its last attempt in the batch: a success
    clears it; a failure starts it (anew after a success in the same batch), or turns the
    endpoint off once it has lasted FAILING_FOR."""
    last = {sent.due.endpoint_id: sent for sent in mine}
    worked = {sent.due.endpoint_id for sent in mine if sent.answer.succeeded}
    table = WebhookEndpoint
    cleared = [e for e, sent in last.items() if sent.answer.succeeded]
    restarted = [e for e, sent in last.items() if not sent.answer.succeeded and e in worked]
    failing = [e for e, sent in last.items() if e not in worked]
    changes = [
        (cleared, table.failing_since.is_not(None), None),
        (restarted, True, now),
        (failing, table.failing_since.is_(None), now),
    ]
    for ids, condition, since in changes:
        if ids:
            db.session.execute(
                update(table).where(table.id.in_(ids), condition).values(failing_since=since),
                execution_options={"synchronize_session": False},
            )
    if failing:
        overdue = select(table).where(
            table.id.in_(failing), table.active.is_(True), table.failing_since <= now - FAILING_FOR
        )
        for endpoint in db.session.scalars(overdue):
            answer = last[endpoint.id].answer
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
    stop_pending(endpoint, TURNED_OFF)
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


def _attempt_row(sent: Sent) -> dict:
    answer = sent.answer
    return {
        "delivery_id": sent.due.id,
        "endpoint_id": sent.due.endpoint_id,
        "number": sent.due.attempts + 1,
        "attempted_at": sent.at,
        "succeeded": answer.succeeded,
        "status_code": answer.status_code,
        "duration_ms": answer.duration_ms,
        "response_excerpt": answer.excerpt[:EXCERPT_CHARS],
        "error": answer.error,
    }
