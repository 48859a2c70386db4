"""The email outbox: rows written in the same transaction as the change, delivered later by
`flask worker` in batches over one mail server connection, retried with backoff.

Requests only write rows; nothing here runs inside a request except `enqueue`, `resend`.
Every step below is one conditional UPDATE, so a row reaches the mail server at most once
even with several workers on several machines.
"""

from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select, update

from portal import clock
from portal.extensions import db
from portal.models import EmailStatus, Organization, OutboundEmail, User
from portal.services import Forbidden, audit
from portal.services.delivery import smtp
from portal.services.outcomes import Outcome

S = EmailStatus
TRANSITIONS = {
    "claim": (S.PENDING, S.CLAIMED),  # a worker takes a batch (SKIP LOCKED on PostgreSQL)
    "start": (S.CLAIMED, S.SENDING),  # committed just before the message goes out
    "sent": (S.SENDING, S.SENT),
    "retry": (S.SENDING, S.PENDING),  # back-off; FAILED after the last attempt
    "release": (S.CLAIMED, S.PENDING),  # never tried: the batch stopped, or the claim lapsed
    "give up": (S.SENDING, S.FAILED),  # the worker stopped mid-send: the server may have it
}

BATCH_SIZE = 50
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600
STUCK_AFTER = timedelta(minutes=15)


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

    Rows a stopped worker left behind are dealt with first: claimed rows go back in the
    queue, rows stuck in sending become failed (see TRANSITIONS).
    """
    _recover_abandoned()
    ids = _claim_batch(worker, limit)
    return _deliver_batch(worker, ids) if ids else 0


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
    return email.status is EmailStatus.SENDING and email.next_attempt_at < clock.now() - STUCK_AFTER


def _claim_batch(worker: str, limit: int) -> list[int]:
    now = clock.now()
    due = db.session.scalars(
        select(OutboundEmail.id)
        .where(OutboundEmail.status == S.PENDING, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one worker
    ).all()
    claimed = []
    if due:
        lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
        claimed = db.session.scalars(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(due), OutboundEmail.status == S.PENDING)
            .values(status=S.CLAIMED, claimed_by=worker, claimed_until=now + lease)
            .returning(OutboundEmail.id),
            execution_options={"synchronize_session": False},
        ).all()
    db.session.commit()
    return sorted(claimed)


def _deliver_batch(worker: str, ids: list[int]) -> int:
    try:
        connection = smtp.connect()
    except smtp.CONNECTION_ERRORS as exc:
        for email_id in ids:
            if email := _start(worker, email_id):
                _schedule_retry(email, exc)
        db.session.commit()
        return 0
    sent = 0
    for position, email_id in enumerate(ids):
        email = _start(worker, email_id)
        if email is None:
            continue
        try:
            connection.send(smtp.message(email))
        except smtp.MESSAGE_ERRORS as exc:
            _schedule_retry(email, exc)
        except smtp.CONNECTION_ERRORS as exc:
            _schedule_retry(email, exc)
            _release(worker, ids[position + 1 :])
            break
        except Exception as exc:  # anything else: this row must not stay in `sending`
            current_app.logger.exception("email could not be sent", extra={"email_id": email.id})
            _schedule_retry(email, exc)
        else:
            email.status, email.sent_at, email.last_error = S.SENT, clock.now(), ""
            sent += 1
    db.session.commit()
    connection.close()
    return sent


def _start(worker: str, email_id: int) -> OutboundEmail | None:
    """claimed -> sending, committed (with the previous row's outcome) before sending."""
    now = clock.now()
    started = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            OutboundEmail.status == S.CLAIMED,
            OutboundEmail.claimed_by == worker,
        )
        .values(status=S.SENDING, next_attempt_at=now, attempts=OutboundEmail.attempts + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if started.rowcount != 1:
        return None  # the claim lapsed and another worker has the row now
    email = db.session.get(OutboundEmail, email_id)
    db.session.refresh(email)
    return email


def _release(worker: str, ids: list[int]) -> None:
    db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id.in_(ids),
            OutboundEmail.status == S.CLAIMED,
            OutboundEmail.claimed_by == worker,
        )
        .values(status=S.PENDING, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )


def _schedule_retry(email: OutboundEmail, exc: Exception) -> None:
    email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    email.claimed_by, email.claimed_until = "", None
    if email.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        email.status = S.FAILED
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (email.attempts - 1), BACKOFF_CAP_SECONDS)
    email.status, email.next_attempt_at = S.PENDING, clock.now() + timedelta(seconds=delay)
    current_app.logger.warning(
        "email not sent; retrying later",
        extra={"email_id": email.id, "error": type(exc).__name__, "retry_in_seconds": delay},
    )


def _recover_abandoned() -> None:
    now = clock.now()
    # Claimed but never tried: back in the queue, no attempt used.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == S.CLAIMED, OutboundEmail.claimed_until < now)
        .values(status=S.PENDING, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    # Handed to the server by a worker that stopped: we cannot know whether the server took
    # it, so it becomes failed for ops to resend rather than risk a duplicate.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == S.SENDING, OutboundEmail.next_attempt_at < now - STUCK_AFTER)
        .values(status=S.FAILED, last_error="delivery state unknown (sender stopped)"),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
