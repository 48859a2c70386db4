"""Targets are checked again at delivery, after name resolution, and the connection goes to
the address that was checked. Name resolution is faked; the one "public" address a test
uses is routed to a receiver on loopback, and no packet goes anywhere else."""

import ipaddress
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import DeliveryStatus, Mode, WebhookDelivery
from portal.services.webhooks import endpoints, targets
from portal.services.webhooks.targets import UnsafeTarget
from tests.conftest import signup
from tests.webhook_receiver import Receiver
from tests.webhooks_world import deliver, hooked, patient_created

PUBLIC = "93.184.216.34"


@pytest.fixture
def network(app, monkeypatch, receiver):
    """Loopback refused; fake DNS; connections to PUBLIC reach the receiver, and any other
    connection is recorded and refused (it must never be asked for)."""
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    state = {"dns": {}, "lookups": [], "connections": []}

    def resolve(host, port):
        state["lookups"].append(host)
        answers = state["dns"][host]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def open_socket(address, port, timeout):
        state["connections"].append(str(address))
        if address != ipaddress.ip_address(PUBLIC):
            raise AssertionError(f"a connection to {address} was attempted")
        return socket.create_connection(("127.0.0.1", receiver.port), timeout=timeout)

    monkeypatch.setattr(targets, "resolve", resolve)
    monkeypatch.setattr(targets, "open_socket", open_socket)
    yield state
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True


def _endpoint_at(url: str, receiver: Receiver):
    return hooked(receiver, url=url)


def _delivery() -> WebhookDelivery:
    return db.session.scalars(select(WebhookDelivery)).one()


def test_a_public_name_is_delivered_to_the_address_that_was_checked(network, receiver):
    network["dns"]["hooks.partner.example"] = [[PUBLIC]]
    world = _endpoint_at(f"http://hooks.partner.example:{receiver.port}/in", receiver)
    patient_created(world)
    deliver()
    [got] = receiver.received
    assert got.signature_ok and got.path == "/in"
    assert got.headers["host"] == f"hooks.partner.example:{receiver.port}"
    assert network["connections"] == [PUBLIC]


def test_a_name_that_now_resolves_to_a_private_address_is_refused_before_connecting(
    network, receiver
):
    # Public when the endpoint was saved, private by the time of the delivery.
    network["dns"]["hooks.partner.example"] = [[PUBLIC], ["10.0.0.8"]]
    world = _endpoint_at(f"http://hooks.partner.example:{receiver.port}/in", receiver)
    patient_created(world)
    deliver()
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.PENDING and delivery.attempts == 1
    assert "points at 10.0.0.8, a private address" in delivery.last_error
    assert network["connections"] == [] and receiver.received == []


def test_the_connection_goes_to_the_checked_address_even_if_the_name_changes_meanwhile(
    network, receiver
):
    # DNS rebinding: whatever the name says after the check, the checked address is used.
    network["dns"]["hooks.partner.example"] = [[PUBLIC], [PUBLIC], ["169.254.169.254"]]
    world = _endpoint_at(f"http://hooks.partner.example:{receiver.port}/in", receiver)
    lookups_before = len(network["lookups"])
    patient_created(world)
    deliver()
    assert len(network["lookups"]) == lookups_before + 1  # resolved once, for the check
    assert network["connections"] == [PUBLIC] and len(receiver.received) == 1


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin", "http://127.0.0.1/"],
)
def test_a_redirect_is_never_followed(network, receiver, location):
    receiver.answers = [(302, {"Location": location})]
    network["dns"]["hooks.partner.example"] = [[PUBLIC]]
    world = _endpoint_at(f"http://hooks.partner.example:{receiver.port}/in", receiver)
    patient_created(world)
    deliver()
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.PENDING and delivery.last_status_code == 302
    assert "Redirects are not followed" in delivery.last_error and location in delivery.last_error
    assert network["connections"] == [PUBLIC]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8085/hook",
        "http://10.20.30.40/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.partner.example/hook",
    ],
)
def test_unsafe_targets_are_refused_when_an_endpoint_is_created_or_changed(network, url):
    network["dns"]["internal.partner.example"] = [["192.168.4.4"]]
    admin = signup("Hook Apps", "hooks@hookapps.example")
    with pytest.raises(UnsafeTarget):
        endpoints.create(admin.organization, Mode.SANDBOX, target_url=url, by=admin)
    network["dns"]["hooks.partner.example"] = [[PUBLIC]]
    created = endpoints.create(
        admin.organization, Mode.SANDBOX, target_url="http://hooks.partner.example/", by=admin
    )
    with pytest.raises(UnsafeTarget):
        endpoints.change(created.endpoint, target_url=url, by=admin)
    assert network["connections"] == []


def test_a_loopback_endpoint_saved_while_allowed_is_refused_once_the_setting_is_off(
    app, receiver, monkeypatch
):
    world = hooked(receiver)
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    opened = []
    monkeypatch.setattr(targets, "open_socket", lambda *args: opened.append(args))
    try:
        patient_created(world)
        deliver()
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    assert "a loopback address" in _delivery().last_error
    assert opened == [] and receiver.received == []


class _Slow(BaseHTTPRequestHandler):
    """Answers 200, then trickles a long body, or never answers at all."""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/silent":
            self.server.release.wait(10)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(100_000))
        self.end_headers()
        self.wfile.write(b"x" * 100_000)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.release = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_the_answer_is_read_only_up_to_the_cap(app, receiver, slow_server):
    world = hooked(receiver)
    endpoints.change(
        world.endpoint, target_url=f"http://127.0.0.1:{slow_server.server_port}/big", by=world.admin
    )
    patient_created(world)
    deliver()
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert len(delivery.last_response_excerpt) <= app.config["WEBHOOK_RESPONSE_MAX_BYTES"]


def test_a_receiver_that_never_answers_fails_the_attempt_after_the_timeout(
    app, receiver, slow_server
):
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.5
    try:
        world = hooked(receiver)
        url = f"http://127.0.0.1:{slow_server.server_port}/silent"
        endpoints.change(world.endpoint, target_url=url, by=world.admin)
        patient_created(world)
        deliver()
    finally:
        app.config["WEBHOOK_TIMEOUT_SECONDS"] = 5
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_error == "No answer within the timeout."
    assert delivery.last_duration_ms < 5000
    with clock.travel(timedelta(seconds=31)):
        assert delivery.next_attempt_at <= clock.now()
