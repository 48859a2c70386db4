"""Deliveries go out in batches: one claim statement per batch (never more than asked, never
one another worker holds), one connection per receiver kept alive for the batch, and the
outcomes of the whole batch recorded with a few statements in one transaction."""

import socket
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal import clock
from portal.extensions import db
from portal.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.services.webhooks import deliveries, dispatch, targets
from tests.webhooks_world import deliver, hooked, patient_created


@pytest.fixture
def connections(monkeypatch):
    """Every connection a delivery opens, by address."""
    opened, real = [], targets.open_socket

    def open_socket(address, port, timeout):
        opened.append(str(address))
        return real(address, port, timeout)

    monkeypatch.setattr(targets, "open_socket", open_socket)
    return opened


def _queued(world, count: int) -> None:
    for patient_id in range(count):
        patient_created(world, patient_id)
    deliveries.fan_out("test-worker")


def _statements_to_send(world, count: int) -> int:
    _queued(world, count)
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert deliveries.send_due("test-worker") == count
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def _statuses() -> list[DeliveryStatus]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery.status).order_by(WebhookDelivery.id)))


def test_a_claim_takes_at_most_its_limit_and_a_second_claimer_only_the_rest(receiver):
    world = hooked(receiver)
    _queued(world, 5)
    first = [due.id for due in deliveries._claim("worker-a", 3)]
    second = [due.id for due in deliveries._claim("worker-b", 3)]
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert deliveries._claim("worker-c", 3) == []
    assert deliver("worker-a") == 0  # all claimed: nobody sends them twice
    assert receiver.received == []


def test_sending_a_batch_costs_the_same_statements_for_3_or_30_deliveries(receiver):
    world = hooked(receiver)
    few = _statements_to_send(world, 3)
    many = _statements_to_send(world, 30)
    assert many == few
    assert len(receiver.received) == 33 and set(_statuses()) == {DeliveryStatus.SUCCEEDED}
    attempts = db.session.scalar(select(func.count(WebhookAttempt.id)))
    assert attempts == 33


def test_a_receiver_that_keeps_connections_alive_gets_a_batch_over_one_connection(
    receiver, connections
):
    receiver.keep_alive = True
    world = hooked(receiver)
    _queued(world, 4)
    assert deliver() == 4
    assert connections == ["127.0.0.1"]
    assert [m["data"]["patients"][0]["id"] for m in receiver.messages()] == [0, 1, 2, 3]
    assert all(r.signature_ok for r in receiver.received)


def test_a_big_batch_goes_out_over_several_kept_connections_each_message_once(
    receiver, connections
):
    receiver.keep_alive = True
    world = hooked(receiver)
    _queued(world, dispatch.LANE_FROM)
    assert deliver() == dispatch.LANE_FROM
    assert len(connections) == dispatch.LANES
    arrived = sorted(m["data"]["patients"][0]["id"] for m in receiver.messages())
    assert arrived == list(range(dispatch.LANE_FROM))
    assert _statuses() == [DeliveryStatus.SUCCEEDED] * dispatch.LANE_FROM


def test_connections_send_each_message_at_once_without_waiting_for_an_acknowledgement(
    receiver, monkeypatch
):
    # With Nagle's algorithm on, a kept connection's second message would wait for the
    # receiver's delayed ACK (40 ms): it is turned off on every connection.
    sockets, real = [], targets.open_socket

    def open_socket(address, port, timeout):
        opened = real(address, port, timeout)
        sockets.append(opened.dup())  # the same socket, still readable once the batch ends
        return opened

    monkeypatch.setattr(targets, "open_socket", open_socket)
    receiver.keep_alive = True
    world = hooked(receiver)
    _queued(world, 2)
    try:
        assert deliver() == 2
        assert sockets and all(
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets
        )
    finally:
        for s in sockets:
            s.close()


def test_a_kept_connection_the_receiver_closed_is_replaced_and_every_message_arrives_once(
    receiver, connections
):
    receiver.keep_alive = receiver.hang_up = True
    world = hooked(receiver)
    _queued(world, 3)
    assert deliver() == 3
    assert len(receiver.received) == 3 and len(connections) >= 3
    assert _statuses() == [DeliveryStatus.SUCCEEDED] * 3
    numbers = db.session.scalars(select(WebhookAttempt.number)).all()
    assert numbers == [1, 1, 1]


def test_what_a_batch_had_no_time_left_for_waits_again_with_no_attempt_counted(app, receiver):
    world = hooked(receiver)
    _queued(world, 2)
    app.config["WEBHOOK_CLAIM_SECONDS"] = 0  # the batch's time is up before it starts
    try:
        assert deliveries.send_due("test-worker") == 2
    finally:
        app.config["WEBHOOK_CLAIM_SECONDS"] = 300
    assert receiver.received == [] and _statuses() == [DeliveryStatus.PENDING] * 2
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 0
    assert deliver() == 2
    assert _statuses() == [DeliveryStatus.SUCCEEDED] * 2


def test_a_failure_after_a_success_in_one_batch_starts_the_failure_record_anew(receiver):
    receiver.answers = [200, 500]
    world = hooked(receiver)
    endpoint = db.session.get(WebhookEndpoint, world.endpoint.id)
    endpoint.failing_since = clock.now() - timedelta(hours=47)
    db.session.commit()
    _queued(world, 2)
    started = clock.now()
    assert deliver() == 2
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, world.endpoint.id)
    assert endpoint.active and endpoint.failing_since >= started
    with clock.travel(timedelta(hours=2)):
        assert deliver() == 1  # the retry fails again, two hours into a fresh record
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, world.endpoint.id).active
