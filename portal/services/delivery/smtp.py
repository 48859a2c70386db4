"""The mail server connection the outbox sends a batch over: one connection per batch,
with a socket timeout so a server that accepts and never answers cannot hold a worker."""

import smtplib

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

from portal.models import OutboundEmail

# This one message was refused: the next message may still go through. Catch these first:
# every SMTP error is an OSError too.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    BadHeaderError,
)
# The server broke off, timed out or cannot be reached: the batch stops here.
CONNECTION_ERRORS = (OSError,)


class TimeoutConnection(Connection):
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

    def close(self) -> None:
        """Say goodbye if the server still listens; a broken connection is simply dropped."""
        if self.host is None:
            return
        try:
            self.host.quit()
        except CONNECTION_ERRORS:
            self.host.close()
        self.host = None


def connect() -> TimeoutConnection:
    """Open a connection (none when MAIL_SUPPRESS_SEND is on). Raises CONNECTION_ERRORS."""
    connection = TimeoutConnection(current_app.extensions["mail"])
    connection.__enter__()
    return connection


def message(email: OutboundEmail) -> Message:
    return Message(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
    )
