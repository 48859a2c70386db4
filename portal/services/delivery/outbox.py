"""The email outbox: rows written with the change, delivered after commit, retried with backoff.

A row is claimed (pending -> sending) by one conditional UPDATE before its message goes to the
mail server, so two senders never deliver the same row: delivery is at most once per row.
"""

import smtplib
from datetime import timedelta

from flask import current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import EmailStatus, Organization, OutboundEmail, User
from portal.services import Forbidden, audit
from portal.services.outcomes import Outcome

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
    db.session.info.setdefault("queued_email_ids", []).append(email.id)
    return email


def deliver(ids: list[int]) -> int:
    """Try to send the given rows now; failures stay pending for `send_due`. Returns sent count."""
    return sum(_deliver_one(email_id) for email_id in ids)


def send_due(limit: int = 500) -> int:
    """Send every pending row whose retry time has come (the `flask outbox send` command)."""
    _give_up_on_stuck()
    due = db.session.scalars(
        select(OutboundEmail.id)
        .where(
            OutboundEmail.status == EmailStatus.PENDING,
            OutboundEmail.next_attempt_at <= clock.now(),
        )
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    return deliver(list(due))


def retry(email: OutboundEmail) -> None:
    """Put a failed row back in the queue (ops' *Resend*)."""
    email.status = EmailStatus.PENDING
    email.next_attempt_at = clock.now()
    email.attempts = 0


def resend(emails: list[OutboundEmail], *, actor: User) -> Outcome:
    """Ops' *Resend*: failed rows, and rows stuck in `sending` (the sender stopped), go back
    in the queue with fresh attempts and are delivered now. Sent and pending rows are
    skipped. Audited. Forbidden unless staff."""
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
    deliver([e.id for e in outcome.done])
    return outcome


def is_stuck(email: OutboundEmail) -> bool:
    return email.status is EmailStatus.SENDING and email.next_attempt_at < clock.now() - STUCK_AFTER


def _claim(email_id: int) -> bool:
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            OutboundEmail.status == EmailStatus.PENDING,
            OutboundEmail.next_attempt_at <= clock.now(),
        )
        .values(status=EmailStatus.SENDING, next_attempt_at=clock.now())
    )
    db.session.commit()
    return result.rowcount == 1


def _deliver_one(email_id: int) -> bool:
    if not _claim(email_id):
        return False
    email = db.session.get(OutboundEmail, email_id)
    email.attempts += 1
    try:
        _send(email)
    except (OSError, smtplib.SMTPException) as exc:
        _schedule_retry(email, exc)
        db.session.commit()
        return False
    email.status, email.sent_at, email.last_error = EmailStatus.SENT, clock.now(), ""
    db.session.commit()
    return True


def _schedule_retry(email: OutboundEmail, exc: Exception) -> None:
    email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if email.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        email.status = EmailStatus.FAILED
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (email.attempts - 1), BACKOFF_CAP_SECONDS)
    email.status, email.next_attempt_at = (
        EmailStatus.PENDING,
        clock.now() + timedelta(seconds=delay),
    )
    current_app.logger.warning("email %s not sent (%s); retry in %ss", email.id, exc, delay)


def _give_up_on_stuck() -> None:
    # A sender that died mid-delivery leaves a row in `sending`; we cannot know whether the
    # server took it, so it becomes `failed` for ops to resend rather than risk a duplicate.
    db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.status == EmailStatus.SENDING,
            OutboundEmail.next_attempt_at < clock.now() - STUCK_AFTER,
        )
        .values(status=EmailStatus.FAILED, last_error="delivery state unknown (sender stopped)")
    )
    db.session.commit()


class _TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout, reading the settings at send time."""

    def configure_host(self):
        config = current_app.config
        smtp = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        host = smtp(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
        )
        if config["MAIL_USE_TLS"]:
            host.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return host


def _send(email: OutboundEmail) -> None:
    message = Message(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
    )
    state = current_app.extensions["mail"]
    with _TimeoutConnection(state) as connection:
        connection.send(message)
