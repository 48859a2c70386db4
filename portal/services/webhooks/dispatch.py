"""Sending a claimed batch of deliveries: each target checked again (once per target in
the batch: its name resolved now, every address public), each message signed, and each
POSTed to the checked address over connections kept alive for the batch. A batch that
runs past half its claim's lease stops sending; what it did not send goes back to wait
(`outcomes.record_all`). (The targets are checked before sending starts: a batch of many
distinct slow-to-resolve names spends part of its lease there.)"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from portal import clock
from portal.services import secrets
from portal.services.webhooks import signing, targets
from portal.services.webhooks.sending import Answer, Connections

USER_AGENT = "SyncPortal-Webhooks/1.0"
# A batch of LANE_FROM deliveries or more goes out over LANES connections at once, so that
# one receiver's wait does not hold the others (messages of a batch may arrive out of
# order; webhooks promise no order). Smaller ones go out over one, in order.
LANES, LANE_FROM = 4, 16
UNREADABLE_SECRET = "Not sent: the endpoint's signing secret cannot be read with ENCRYPTION_KEYS."
_senders = ThreadPoolExecutor(max_workers=LANES, thread_name_prefix="webhook-send")


@dataclass(frozen=True)
class Due:
    """A claimed delivery, with what its attempt and its outcome need."""

    id: int
    organization_id: int
    endpoint_id: int
    attempts: int
    first_attempt_at: datetime | None
    target_url: str
    secret_encrypted: str
    body: bytes  # the same on every attempt
    verifies: bool = False  # a test event: accepted, it verifies the organization's webhook


@dataclass(frozen=True)
class Sent:
    due: Due
    answer: Answer
    at: datetime


def send_all(batch: list[Due], *, stop_at: float) -> tuple[list[Sent], list[Due]]:
    """POST each delivery of `batch` until the monotonic time `stop_at`, a big batch over
    LANES connections at once; returns what was sent, with its answer, and what was not,
    each in the batch's order."""
    config = current_app.config
    limits = {
        "timeout": config["WEBHOOK_TIMEOUT_SECONDS"],
        "cap": config["WEBHOOK_RESPONSE_MAX_BYTES"],
    }
    checked, keys, ready = {}, {}, []
    for due in batch:
        if due.target_url not in checked:
            checked[due.target_url] = _check(due.target_url)
        if due.secret_encrypted not in keys:
            keys[due.secret_encrypted] = _secret(due.secret_encrypted)
        secret = keys[due.secret_encrypted]
        # A secret that no configured key opens fails its own deliveries, not the batch.
        ready.append((due, checked[due.target_url] if secret else UNREADABLE_SECRET, secret))
    lanes = LANES if len(ready) >= LANE_FROM else 1
    done = _senders.map(
        lambda lane: _send_lane(lane, stop_at, limits), [ready[n::lanes] for n in range(lanes)]
    )
    sent, unsent = [], []
    for lane_sent, lane_unsent in done:
        sent += lane_sent
        unsent += lane_unsent
    return sorted(sent, key=lambda s: s.due.id), sorted(unsent, key=lambda due: due.id)


def _send_lane(lane: list[tuple], stop_at: float, limits: dict) -> tuple[list[Sent], list[Due]]:
    sent = []
    with Connections() as connections:
        for position, (due, checked, secret) in enumerate(lane):
            if time.monotonic() >= stop_at:
                return sent, [due for due, *_ in lane[position:]]
            at = clock.now()
            sent.append(Sent(due, _post(connections, checked, secret, due, at, limits), at))
    return sent, []


def _secret(encrypted: str) -> str | None:
    try:
        return secrets.decrypt(encrypted)
    except ValueError:
        return None


def _check(url: str):
    """The target and the address to connect to, or the refusal in words. Checked again
    here because the name may point elsewhere now."""
    try:
        target = targets.parse(url)
        return target, targets.addresses(target)[0]
    except targets.UnsafeTarget as refusal:
        return f"Not sent: {refusal}"


def _post(connections: Connections, checked, secret: str, due: Due, at: datetime, limits) -> Answer:
    if isinstance(checked, str):
        return Answer(None, "", 0, checked)  # a refused target: a failed attempt, no connection
    target, address = checked
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(secret, int(at.timestamp()), due.body),
    }
    return connections.post(target, address, due.body, headers, **limits)
