import threading
from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from portal import clock, worker
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail
from portal.services.accounts import users
from portal.services.delivery import outbox
from tests.conftest import PASSWORD, Mailbox, MailboxHandler


def queue(n: int, prefix: str = "reader") -> list[int]:
    ids = [
        outbox.enqueue("password_reset", to=f"{prefix}{i}@example.test", subject=f"Hello {i}",
                       user={"name": f"Reader {i}"}, reset_url="http://127.0.0.1/r", minutes=60).id
        for i in range(n)
    ]  # fmt: skip
    db.session.commit()
    return ids


def rows() -> list[OutboundEmail]:
    db.session.expire_all()
    return db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()


def test_signing_up_only_queues_the_email_and_the_worker_delivers_it_once(app, start_mailbox):
    # Nothing listens on the mail port while the user signs up: the request does not care.
    users.signup(
        organization_name="Down Co", name="D", email_address="d@down.example", password=PASSWORD
    )
    email = db.session.scalars(select(OutboundEmail)).one()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.PENDING, 0, "")

    assert outbox.send_due() == 0  # the worker tries: the server is down
    db.session.refresh(email)
    assert email.status is EmailStatus.PENDING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error

    mailbox = start_mailbox()
    runner = app.test_cli_runner()
    with clock.travel(timedelta(hours=1)):
        first = runner.invoke(args=["outbox", "send"])
        second = runner.invoke(args=["outbox", "send"])
    assert "1 email sent" in first.output and "0 emails sent" in second.output
    assert len(mailbox.received) == 1
    assert mailbox.received[0]["Subject"] == "Welcome to SyncPortal"
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT


def test_retries_back_off_and_give_up_after_the_last_attempt(app, mail_settings):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    try:
        queue(1)
        outbox.send_due()
        (email,) = rows()
        first_retry = email.next_attempt_at
        assert outbox.send_due() == 0 and rows()[0].attempts == 1  # not due yet
        with clock.travel(timedelta(minutes=2)):
            outbox.send_due()
        (email,) = rows()
        assert email.attempts == 2 and email.next_attempt_at - first_retry >= timedelta(minutes=1)
        with clock.travel(timedelta(hours=1)):
            outbox.send_due()
        (email,) = rows()
        assert email.status == EmailStatus.FAILED and email.attempts == 3
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 8


class SessionCounter(MailboxHandler):
    """Files messages and notes which SMTP session (connection) carried each."""

    def __init__(self, box):
        super().__init__(box)
        self.sessions = []

    async def handle_DATA(self, server, session, envelope):
        self.sessions.append(id(session))
        return await super().handle_DATA(server, session, envelope)


def test_a_batch_of_emails_goes_over_one_mail_server_connection(mail_settings):
    box = Mailbox()
    handler = SessionCounter(box)
    controller = Controller(handler, hostname="127.0.0.1", port=mail_settings)
    controller.start()
    try:
        queue(12)
        assert outbox.send_due() == 12
    finally:
        controller.stop()
    assert len(box.received) == 12 and len(set(handler.sessions)) == 1
    assert {e.status for e in rows()} == {EmailStatus.SENT}


def test_two_workers_racing_deliver_every_email_exactly_once(mailbox):
    queue(120)
    errors = []

    def work(app):
        try:
            with app.app_context():
                worker.run_until_idle()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    from flask import current_app

    app = current_app._get_current_object()
    threads = [threading.Thread(target=work, args=(app,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    recipients = [m["To"] for m in mailbox.received]
    assert len(recipients) == 120 and len(set(recipients)) == 120
    assert {e.status for e in rows()} == {EmailStatus.SENT}


def lease(app) -> timedelta:
    return timedelta(seconds=app.config["OUTBOX_CLAIM_SECONDS"])


def test_a_row_an_earlier_versions_worker_left_claimed_goes_back_after_its_lease(app, mailbox):
    (email_id,) = queue(1)
    # Workers before batch starts claimed first (claimed), then started each email.
    until = clock.now() + lease(app)
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id)
        .values(status=EmailStatus.CLAIMED, claimed_by="gone:1", claimed_until=until)
    )
    db.session.commit()
    assert outbox.send_due("other:2") == 0  # still claimed by the stopped worker
    with clock.travel(lease(app) + timedelta(seconds=1)):
        assert outbox.send_due("other:2") == 1
    (email,) = rows()
    assert email.status is EmailStatus.SENT and email.attempts == 1
    assert len(mailbox.received) == 1


def test_a_batch_a_stopped_worker_was_sending_fails_for_ops_instead_of_going_out_twice(
    app, mailbox
):
    queue(3)
    now = clock.now()
    # The batch is in `sending`, committed; then the worker died before recording anything.
    assert len(outbox._claim("gone:1", 50, now, lease(app))) == 3
    with clock.travel(lease(app) / 2):
        assert outbox.send_due("other:2") == 0  # within the lease: not another worker's
    assert {e.status for e in rows()} == {EmailStatus.SENDING}
    assert not any(outbox.is_stuck(e) for e in rows())
    with clock.travel(lease(app) + timedelta(seconds=1)):
        assert all(outbox.is_stuck(e) for e in rows())  # ops may resend them now
        assert outbox.send_due("other:2") == 0
    assert {(e.status, e.last_error) for e in rows()} == {
        (EmailStatus.FAILED, "delivery state unknown (sender stopped)")
    }
    assert mailbox.received == []
