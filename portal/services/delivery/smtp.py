"""The mail server connection the outbox sends a batch over: one connection per batch,
with a socket timeout so a server that accepts and never answers cannot hold a worker;
and each email's message, Flask-Mail's, its bytes built without the header registry."""

import secrets
import smtplib
from email.header import Header
from email.policy import Compat32
from email.utils import formataddr, parseaddr

from flask import current_app
from flask_mail import BadHeaderError, Connection, Message

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


class _Wire(Compat32):
    """The wire format (CRLF line ends, lines folded at 78) without the SMTP policy's header
    registry: that policy parses every header back into objects while writing the message,
    most of the CPU of sending one. The headers here are Flask-Mail's own, already encoded:
    a short one-line ASCII header is written as it is, without compat32's folding pass."""

    def fold_binary(self, name, value):
        plain = isinstance(value, str) and value.isascii() and value.isprintable()
        if plain and len(name) + 2 + len(value) <= self.max_line_length:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


WIRE = _Wire(linesep="\r\n")


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

    @property
    def closed(self) -> bool:
        """The server hung up: an answer of 421 (closing) makes smtplib drop the connection
        while it raises one of MESSAGE_ERRORS."""
        return self.host is not None and self.host.sock is None

    def close(self) -> None:
        """Say goodbye if the server still listens; a broken connection is simply dropped."""
        if self.host is None:
            return
        try:
            self.host.quit()
        except CONNECTION_ERRORS:
            self.host.close()
        self.host = None


class OutboxMessage(Message):
    """Flask-Mail's message, written out under WIRE instead of the SMTP policy."""

    def _message(self):
        mime = super()._message()
        mime.policy = WIRE
        if not self.subject.isascii():
            # Encoded words folded to fit after "Subject: " (Flask-Mail's are folded
            # without the header's name, and would be folded again around it).
            mime.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        # Flask-Mail encodes every display name, "=?utf-8?q?SyncPortal?=" for a plain one;
        # formataddr quotes what needs it and encodes only a name that is not ASCII.
        sender = parseaddr(self.sender) if isinstance(self.sender, str) else self.sender
        mime.replace_header("From", formataddr(sender, charset="utf-8"))
        for part in mime.walk():
            if part.is_multipart():
                # A random boundary no body can contain: the email package would otherwise
                # compile a regular expression per boundary to search the body for it.
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        return mime


def connect() -> TimeoutConnection:
    """Open a connection (none when MAIL_SUPPRESS_SEND is on). Raises CONNECTION_ERRORS."""
    connection = TimeoutConnection(current_app.extensions["mail"])
    connection.__enter__()
    return connection


def message(email) -> OutboxMessage:
    """The message of an outbox row (an OutboundEmail, or a plain row with its columns)."""
    return OutboxMessage(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
    )
