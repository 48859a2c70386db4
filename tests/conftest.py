"""One app per test session on a real database (SQLite file, or PostgreSQL through
TEST_DATABASE_URL), migrated with Alembic; every test starts from empty tables."""

import os
import re
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

from portal import create_app, worker
from portal.extensions import db, limiter
from portal.services import request_log
from portal.services.accounts import users
from tests.webhook_receiver import Receiver

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = (
        os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
    )
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean(app):
    """Empty every table before each test and give it an app context."""
    with app.app_context():
        # The request log's thread may still be writing the last test's calls: let it
        # finish first, or its INSERT and the TRUNCATE below can deadlock on PostgreSQL.
        request_log.flush()
        _empty_tables()
        limiter.reset()
        yield
        db.session.remove()


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f"DELETE FROM {name}"))


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (session, `g`), as in production, even though
    the test itself holds one open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on `path` (tests post forms as a browser would)."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def signup(org: str, email: str, name: str = "Dev Eloper"):
    return users.signup(
        organization_name=org, name=name, email_address=email, password=PASSWORD, welcome=False
    )


@pytest.fixture
def org_admin():
    return signup("Alpha Apps", "alice@alpha.example", "Alice Admin")


class Mailbox:
    """Messages received by the test SMTP server.

    Requests only queue emails; reading `messages` first lets the worker do what is due
    (as `flask worker` would by then), so a test reads what the worker delivered."""

    def __init__(self):
        self.received = []

    @property
    def messages(self) -> list:
        worker.run_until_idle("test worker")
        return self.received

    def bodies_to(self, address: str) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages if address in m["To"]]


class MailboxHandler:
    """The aiosmtpd handler that files each message in a Mailbox."""

    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        self.box.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_settings(app, smtp_port):
    """Point the app's mail settings at `smtp_port` on loopback (nothing listens there yet)."""
    previous = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port)
    yield smtp_port
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = previous


@pytest.fixture
def start_mailbox(mail_settings):
    """Start a real SMTP server (aiosmtpd) on the app's mail port; returns its Mailbox. A
    test may give its own handler (a MailboxHandler that misbehaves on cue)."""
    controllers = []

    def start(handler: "MailboxHandler | None" = None) -> Mailbox:
        handler = handler or MailboxHandler(Mailbox())
        controller = Controller(handler, hostname="127.0.0.1", port=mail_settings)
        controller.start()
        controllers.append(controller)
        return handler.box

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mailbox(start_mailbox):
    return start_mailbox()


@pytest.fixture
def running_worker(app):
    """`flask worker`'s loop in a thread (for pages that wait on the worker: imports)."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(app, stop), kwargs={"poll_seconds": 0.2})
    thread.start()
    yield
    stop.set()
    thread.join(timeout=120)


class InFlight:
    """The app, counting the requests it is answering (a streamed body until it is closed)."""

    def __init__(self, app):
        self.app, self.running, self.changed = app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        self._add(1)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._add(-1)
            raise
        return ClosingIterator(body, [lambda: self._add(-1)])

    def _add(self, step: int) -> None:
        with self.changed:
            self.running += step
            self.changed.notify_all()

    def wait_idle(self, seconds: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.running == 0, timeout=seconds)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on loopback in a thread (for the browser and the simulator);
    BASE_URL names it while it runs, as in a deployment, so emailed links lead to it.

    Its end gives the requests still being answered (a page's last scripts and images, which
    the browser may still be fetching) a few seconds to finish, after releasing the test's
    own transaction they may wait for: the next test empties the tables, and on PostgreSQL
    that TRUNCATE deadlocked once with a late request's reads. A request held longer (by a
    browser context the test left open) is not waited for."""
    counted = InFlight(app)
    server = make_server("127.0.0.1", 0, counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url, previous = f"http://127.0.0.1:{server.server_port}", app.config["BASE_URL"]
    app.config["BASE_URL"] = url
    yield url
    server.shutdown()
    db.session.remove()
    counted.wait_idle(seconds=10)
    app.config["BASE_URL"] = previous


@pytest.fixture
def receiver():
    """A webhook receiver on loopback that records what it gets (tests/webhook_receiver.py)."""
    running = Receiver().start()
    yield running
    running.stop()
