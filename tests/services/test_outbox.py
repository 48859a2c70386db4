from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail
from portal.services.accounts import users
from portal.services.delivery import outbox
from tests.conftest import PASSWORD


def test_signup_succeeds_with_the_mail_server_down_and_the_email_arrives_once_later(
    app, start_mailbox
):
    # Nothing listens on the mail port while the user signs up.
    users.signup(
        organization_name="Down Co", name="D", email_address="d@down.example", password=PASSWORD
    )
    email = db.session.scalars(select(OutboundEmail)).one()
    assert email.status == EmailStatus.PENDING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error

    mailbox = start_mailbox()
    runner = app.test_cli_runner()
    with clock.travel(timedelta(hours=1)):
        first = runner.invoke(args=["outbox", "send"])
        second = runner.invoke(args=["outbox", "send"])
    assert "1 email(s) sent" in first.output and "0 email(s) sent" in second.output
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["Subject"] == "Welcome to SyncPortal"
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT


def test_a_row_is_delivered_at_most_once_even_if_two_senders_race(mailbox):
    users.signup(
        organization_name="Race", name="R", email_address="r@race.example", password=PASSWORD
    )
    email_id = db.session.scalar(select(OutboundEmail.id))
    assert outbox.deliver([email_id]) == 0  # already sent after the signup commit
    assert len(mailbox.messages) == 1


def test_retries_back_off_and_give_up_after_the_last_attempt(app, mail_settings):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    try:
        users.signup(
            organization_name="Nope", name="N", email_address="n@nope.example", password=PASSWORD
        )
        email = db.session.scalars(select(OutboundEmail)).one()
        first_retry = email.next_attempt_at
        assert outbox.send_due() == 0 and email.attempts == 1  # not due yet
        with clock.travel(timedelta(minutes=2)):
            outbox.send_due()
        db.session.refresh(email)
        assert email.attempts == 2 and email.next_attempt_at - first_retry >= timedelta(minutes=1)
        with clock.travel(timedelta(hours=1)):
            outbox.send_due()
        db.session.refresh(email)
        assert email.status == EmailStatus.FAILED and email.attempts == 3
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 8
