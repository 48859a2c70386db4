"""The email outbox: rows written in the same transaction as the change, delivered later by
`flask worker` in batches over one mail server connection, retried with backoff.

Requests only write rows; nothing here runs inside a request except `enqueue`, `resend`.
A worker moves a whole batch to `sending` with one conditional UPDATE and commits before
the first message goes out, so a row reaches the mail server at most once even with
several workers on several machines; the outcomes of the batch are one transaction.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import bindparam, delete, select, update

from portal import clock
from portal.extensions import db
from portal.models import EmailStatus, Organization, OutboundEmail, User
from portal.services import Forbidden, audit
from portal.services.delivery import smtp
from portal.services.outcomes import Outcome

S = EmailStatus
TRANSITIONS = {
    # A worker takes a batch (SKIP LOCKED on PostgreSQL), its lease and an attempt each,
    # committed before any of it goes out.
    "claim": (S.PENDING, S.SENDING),
    "sent": (S.SENDING, S.SENT),
    "retry": (S.SENDING, S.PENDING),  # back-off; FAILED after the last attempt
    # Never handed to the server (the connection broke before it, or the batch ran past
    # half its lease): back in the queue, the attempt given back.
    "release": (S.SENDING, S.PENDING),
    # Still sending when its lease ran out: the worker stopped mid-batch, and the server
    # may have it.
    "give up": (S.SENDING, S.FAILED),
    # Left claimed by a worker of an earlier version (which claimed, then started each
    # email): back in the queue once its claim lapsed.
    "lapse": (S.CLAIMED, S.PENDING),
}

BATCH_SIZE = 50
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600


def enqueue(
    template: str, *, to: str, subject: str, organization: Organization | None = None, **context
) -> OutboundEmail:
    """Render `templates/email/<template>.txt|html` into a pending row of this transaction."""
    email = OutboundEmail(
        template=template,
        recipient=to,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", subject=subject, **context),
        organization_id=organization.id if organization else None,
    )
    db.session.add(email)
    db.session.flush()
    return email


def withdraw(template: str, *, to: str, organization_id: int | None) -> int:
    """Take back the queued (not yet sending) emails of `template` to `to`: what they say
    no longer holds (a cancelled or replaced invitation). Returns how many."""
    withdrawn = db.session.execute(
        delete(OutboundEmail).where(
            OutboundEmail.template == template,
            OutboundEmail.recipient == to,
            OutboundEmail.organization_id == organization_id,
            OutboundEmail.status == EmailStatus.PENDING,
        )
    )
    return withdrawn.rowcount


def send_due(worker: str = "flask outbox send", limit: int = BATCH_SIZE) -> int:
    """Deliver one batch of due rows over one connection; returns how many were sent.

    Rows a stopped worker left behind are dealt with first (see TRANSITIONS). Three
    statements and a commit before anything is sent, whatever the batch's size; the
    outcomes of the whole batch after, in one transaction of at most three.
    """
    now = clock.now()
    lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    batch = _claim(worker, limit, now, lease)
    if not batch:
        return 0
    done = _Done(unsent=[row.id for row in batch])
    try:
        _send_all(batch, done, stop_at=now + lease / 2)
    finally:
        # Also when something escaped mid-batch: what was sent is recorded, what was
        # never handed over goes back; the email in flight, if any, stays in `sending`
        # and fails when its lease runs out (the server may have it).
        _record(worker, done)
    return len(done.sent)


def retry(email: OutboundEmail) -> None:
    """Put a failed row back in the queue (ops' *Resend*)."""
    email.status = EmailStatus.PENDING
    email.next_attempt_at = clock.now()
    email.attempts = 0
    email.claimed_by, email.claimed_until = "", None


def resend(emails: list[OutboundEmail], *, actor: User) -> Outcome:
    """Ops' *Resend*: failed rows, and rows stuck in `sending` (the sender stopped), go back
    in the queue with fresh attempts for the worker. Sent and pending rows are skipped.
    Audited. Forbidden unless staff."""
    if not actor.is_staff:
        raise Forbidden("Only staff resend email.")
    outcome = Outcome()
    for email in emails:
        if not (email.status is EmailStatus.FAILED or is_stuck(email)):
            outcome.skip(email, f"it is {email.status.value}, not failed or stuck.")
            continue
        retry(email)
        organization = db.session.get(Organization, email.organization_id or 0)
        audit.record(
            "email.resent", actor=actor, organization=organization, target=email, to=email.recipient
        )
        outcome.done.append(email)
    db.session.commit()
    return outcome


def is_stuck(email: OutboundEmail) -> bool:
    """Still sending after its lease ran out: its worker stopped before recording it."""
    lapsed = email.claimed_until is not None and email.claimed_until < clock.now()
    return email.status is EmailStatus.SENDING and lapsed


@dataclass
class _Done:
    """What became of a batch's emails, by id: the ones not yet handed over are `unsent`."""

    unsent: list[int]
    sent: list[int] = field(default_factory=list)
    retries: list[dict] = field(default_factory=list)  # parameter sets of _RETRY


def _claim(worker: str, limit: int, now: datetime, lease: timedelta) -> list:
    """Recover what stopped workers left, then move up to `limit` due rows to `sending`
    (one UPDATE over a CTE, SKIP LOCKED on PostgreSQL) and read what their messages need
    from it; committed, so no transaction stays open while the server takes its time."""
    _recover_abandoned(now)
    due = (
        select(OutboundEmail.id)
        .where(OutboundEmail.status == S.PENDING, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one worker
        .cte("due")  # evaluated once (a subquery's LIMIT may be re-run per row on PostgreSQL)
    )
    t = OutboundEmail
    batch = db.session.execute(
        update(t)
        .where(t.id.in_(select(due.c.id)), t.status == S.PENDING)
        .values(
            status=S.SENDING, claimed_by=worker, claimed_until=now + lease, attempts=t.attempts + 1
        )
        .returning(t.id, t.recipient, t.subject, t.body_text, t.body_html, t.attempts),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return sorted(batch, key=lambda row: row.id)


def _send_all(batch: list, done: _Done, *, stop_at: datetime) -> None:
    """Hand each email of `batch` to the server in turn, noting each outcome in `done`.
    Stops at a broken connection, or at `stop_at` (half the lease), so that the batch is
    recorded before any other worker may take its rows for a stopped worker's."""
    try:
        connection = smtp.connect()
    except smtp.CONNECTION_ERRORS as exc:
        done.unsent.clear()  # the server cannot be reached: an attempt each, and back-off
        for row in batch:
            _retry_later(done, row, exc)
        return
    try:
        for row in batch:
            if clock.now() >= stop_at:
                return
            done.unsent.remove(row.id)  # in flight: neither unsent nor recorded
            try:
                connection.send(smtp.message(row))
            except smtp.MESSAGE_ERRORS as exc:
                _retry_later(done, row, exc)
                if connection.closed:
                    return
            except smtp.CONNECTION_ERRORS as exc:
                _retry_later(done, row, exc)
                return
            except Exception as exc:  # anything else: this row must not stay in `sending`
                current_app.logger.exception("email could not be sent", extra={"email_id": row.id})
                _retry_later(done, row, exc)
            else:
                done.sent.append(row.id)
    finally:
        connection.close()


def _retry_later(done: _Done, row, exc: Exception) -> None:
    """Back-off doubling from BACKOFF_BASE_SECONDS with each attempt; FAILED after the last."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    retry = {"b_id": row.id, "last_error": error, "next_attempt_at": clock.now()}
    if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        done.retries.append({**retry, "status": S.FAILED})
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (row.attempts - 1), BACKOFF_CAP_SECONDS)
    retry["next_attempt_at"] += timedelta(seconds=delay)
    done.retries.append({**retry, "status": S.PENDING})
    current_app.logger.warning(
        "email not sent; retrying later",
        extra={"email_id": row.id, "error": type(exc).__name__, "retry_in_seconds": delay},
    )


# Each retried email's new values (executemany: one statement for the batch's retries).
# Only rows still sending under this worker's name move.
_T = OutboundEmail.__table__
_RETRY = (
    update(_T)
    .where(
        _T.c.id == bindparam("b_id"),
        _T.c.status == S.SENDING,
        _T.c.claimed_by == bindparam("b_worker"),
    )
    .values(claimed_by="", claimed_until=None)
)


def _record(worker: str, done: _Done) -> None:
    """Every outcome of a batch in one transaction: one statement per kind of outcome."""
    t = OutboundEmail
    mine = (t.status == S.SENDING, t.claimed_by == worker)
    freed = {"claimed_by": "", "claimed_until": None}
    changes = [
        (done.sent, {"status": S.SENT, "sent_at": clock.now(), "last_error": ""}),
        (done.unsent, {"status": S.PENDING, "attempts": t.attempts - 1}),
    ]
    for ids, values in changes:
        if ids:
            db.session.execute(
                update(t).where(t.id.in_(ids), *mine).values(**values, **freed),
                execution_options={"synchronize_session": False},
            )
    if done.retries:
        db.session.execute(_RETRY, [{**retry, "b_worker": worker} for retry in done.retries])
    db.session.commit()


def _recover_abandoned(now: datetime) -> None:
    # Claimed but never tried (an earlier version's worker): back in the queue.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == S.CLAIMED, OutboundEmail.claimed_until < now)
        .values(status=S.PENDING, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    # Sending past its lease: the worker stopped mid-batch. We cannot know whether the
    # server took it, so it becomes failed for ops to resend rather than risk a duplicate.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == S.SENDING, OutboundEmail.claimed_until < now)
        .values(status=S.FAILED, last_error="delivery state unknown (sender stopped)"),
        execution_options={"synchronize_session": False},
    )
