"""What the mail server receives from the outbox, read back with the email package: the
subject (non-ASCII and long ones encoded and folded), sender, recipient, date and message id,
a multipart/alternative of the UTF-8 text and HTML bodies, in CRLF lines that fit SMTP."""

import re
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import OutboundEmail
from portal.services.delivery import outbox

TEXT = "Bonjour Zoë,\n\nVotre code : 42 — à bientôt.\n日本語のテキスト\n" + "ligne " * 20 + "\n"
HTML = "<p>Bonjour Zo&euml; — « à bientôt » 日本語</p>\n<p>" + "mot " * 40 + "</p>\n"
SUBJECTS = [
    "Reset your SyncPortal password",
    "Réinitialisez votre mot de passe — Zoë",
    "Invitation : rejoignez « Cabinet dentaire Sainte-Hélène » sur SyncPortal, "
    "une ligne d'objet bien plus longue que soixante-dix-huit caractères ✓",
    "An ASCII subject line that goes on well past the seventy-eight characters a header "
    "line should keep to, so that it has to be folded",
]


class Raw:
    """Keeps the bytes of each message as they came over the wire."""

    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def wire(mail_settings):
    handler = Raw()
    controller = Controller(handler, hostname="127.0.0.1", port=mail_settings)
    controller.start()
    yield handler.messages
    controller.stop()


def test_the_server_receives_each_email_whole_and_readable(app, wire):
    for n, subject in enumerate(SUBJECTS):
        db.session.add(
            OutboundEmail(
                template="test", recipient=f"zoë{n}@example.test".replace("ë", "e"),
                subject=subject, body_text=TEXT, body_html=HTML,
            )
        )  # fmt: skip
    db.session.commit()
    assert outbox.send_due() == len(SUBJECTS)

    sender = app.config["MAIL_DEFAULT_SENDER"]
    for n, (subject, raw) in enumerate(zip(SUBJECTS, wire, strict=True)):
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()  # 8-bit text only in the bodies
        assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
        assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # folded
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))  # SMTP's line limit

        message = message_from_bytes(raw, policy=policy.SMTP)
        assert message["Subject"] == subject
        assert message["From"] == sender
        assert message["To"] == f"zoe{n}@example.test"
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
        assert message.defects == []

        parts = [part.get_content_type() for part in message.walk()]
        assert "multipart/alternative" in parts
        assert parts[-2:] == ["text/plain", "text/html"]
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
        # Lines end in CRLF on the wire; the text is the same.
        assert plain.get_content().replace("\r\n", "\n") == TEXT
        assert html.get_content().replace("\r\n", "\n") == HTML
        assert all(part.defects == [] for part in message.walk())
    ids = {message_from_bytes(raw, policy=policy.SMTP)["Message-ID"] for raw in wire}
    assert len(ids) == len(SUBJECTS)


@pytest.mark.parametrize(
    ("sender", "on_the_wire"),
    [
        ("SyncPortal <no-reply@syncportal.test>", b"From: SyncPortal <no-reply@syncportal.test>"),
        ('"Acme, Inc." <ops@acme.test>', b'From: "Acme, Inc." <ops@acme.test>'),
        ("Cabinet Hélène <ops@helene.test>", b"From: =?utf-8?"),
        ("no-reply@syncportal.test", b"From: no-reply@syncportal.test"),
    ],
)
def test_the_sender_is_written_plainly_and_encoded_only_when_it_must_be(
    app, wire, monkeypatch, sender, on_the_wire
):
    # As MAIL_DEFAULT_SENDER would (Flask-Mail reads it once, when the app is made).
    monkeypatch.setattr(app.extensions["mail"], "default_sender", sender)
    db.session.add(
        OutboundEmail(
            template="test", recipient="zoe@example.test", subject="Hello",
            body_text=TEXT, body_html=HTML,
        )
    )  # fmt: skip
    db.session.commit()
    assert outbox.send_due() == 1

    (raw,) = wire
    assert on_the_wire + b"\r\n" in raw or on_the_wire.endswith(b"?") and on_the_wire in raw
    assert message_from_bytes(raw, policy=policy.SMTP)["From"] == sender
