"""Deliveries to real receivers on loopback: signed as NexHealth documents, retried on
NexHealth's schedule, the endpoint turned off after 48 hours of failures, replayed."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    DeliveryStatus,
    Mode,
    WebhookAttempt,
    WebhookDelivery,
)
from portal.services import events
from portal.services.delivery import outbox
from portal.services.webhooks import delivery_log, endpoints, outcomes, subscriptions
from tests.conftest import signup
from tests.webhook_receiver import Receiver
from tests.webhooks_world import deliver, hooked, patient_created, sandbox_of


def _delivery() -> WebhookDelivery:
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()


def test_an_event_reaches_its_subscribed_endpoint_signed_as_nexhealth_documents(receiver):
    world = hooked(receiver)
    patient_created(world, patient_id=42)
    assert deliver() == 2  # one event fanned out, one delivery sent
    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["content-type"] == "application/json"
    assert int(got.headers["timestamp"]) == pytest.approx(clock.now().timestamp(), abs=60)
    message = got.message
    assert message["resource_type"] == "Patient"
    assert message["event_name"] == "patient_created"
    assert message["delivery_id"] == _delivery().id
    assert message["subdomain"] == world.institution.subdomain
    assert message["institution_id"] == world.institution.id
    assert message["data"] == {"patients": [{"id": 42}]}
    assert _delivery().status is DeliveryStatus.SUCCEEDED


def test_a_receiver_with_another_secret_refuses_the_message_and_it_is_sent_again(receiver):
    world = hooked(receiver)
    receiver.secret, receiver.strict = "not-the-secret", True
    patient_created(world)
    deliver()
    assert [r.signature_ok for r in receiver.received] == [False]
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.PENDING and delivery.last_status_code == 401

    receiver.secret = world.secret  # the developer puts the endpoint's secret in
    with clock.travel(timedelta(seconds=31)):
        assert deliver() == 1
    assert [r.signature_ok for r in receiver.received] == [False, True]
    assert receiver.received[0].body == receiver.received[1].body
    db.session.refresh(delivery)
    assert delivery.status is DeliveryStatus.SUCCEEDED


def test_events_reach_only_endpoints_of_their_organization_mode_and_institution(receiver):
    world = hooked(receiver)
    other = Receiver().start()
    try:
        stranger = hooked(other, user=signup("Other Co", "o@other.example"))
        production = endpoints.create(
            world.admin.organization, Mode.PRODUCTION, target_url=other.url, by=world.admin
        ).endpoint
        with pytest.raises(Exception, match="subdomain"):
            subscriptions.subscribe(
                production, resource_type="Patient", event="patient_created",
                institution=None, by=world.admin,
            )  # fmt: skip
        patient_created(world)
        deliver()
        assert len(receiver.received) == 1 and other.received == []
        patient_created(stranger)
        deliver()
        assert len(receiver.received) == 1 and len(other.received) == 1
    finally:
        other.stop()


def test_one_batch_of_mixed_events_reaches_for_each_event_only_its_own_endpoints(receiver):
    world = hooked(receiver)
    other = Receiver().start()
    try:
        stranger = hooked(other, user=signup("Other Co", "o@other.example"))
        patient_created(world, patient_id=1)
        patient_created(stranger, patient_id=2)
        patient_created(world, patient_id=3)
        events.record(  # of the same practice, but no endpoint subscribes to it
            "patient_updated",
            organization=world.admin.organization,
            mode=Mode.SANDBOX,
            institution=world.institution,
            data={"patients": [{"id": 4}]},
        )
        db.session.commit()
        deliver()  # one fan-out batch holds all four
        assert sorted(m.message["data"]["patients"][0]["id"] for m in receiver.received) == [1, 3]
        assert [m.message["data"]["patients"][0]["id"] for m in other.received] == [2]
    finally:
        other.stop()


def test_paused_subscriptions_and_endpoints_that_are_off_get_nothing(receiver):
    world = hooked(receiver)
    [subscription] = subscriptions.for_endpoint(world.endpoint)
    subscriptions.change(subscription, active=False, by=world.admin)
    patient_created(world)
    deliver()
    subscriptions.change(subscription, active=True, by=world.admin)
    endpoints.change(world.endpoint, active=False, by=world.admin)
    patient_created(world)
    deliver()
    assert receiver.received == []
    endpoints.change(world.endpoint, active=True, by=world.admin)
    patient_created(world)
    deliver()
    assert len(receiver.received) == 1


def test_a_receiver_answering_500_then_200_gets_the_same_delivery_once_more_after_back_off(
    receiver,
):
    receiver.answers = [500, 200]
    world = hooked(receiver)
    patient_created(world)
    deliver()
    delivery = _delivery()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at - delivery.first_attempt_at == timedelta(seconds=30)
    assert deliver() == 0  # not due yet
    with clock.travel(timedelta(seconds=31)):
        assert deliver() == 1
    with clock.travel(timedelta(days=3)):
        deliver()
    assert [m["delivery_id"] for m in receiver.messages()] == [delivery.id, delivery.id]
    db.session.refresh(delivery)
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert [(a.number, a.status_code, a.succeeded) for a in delivery_log.attempts_of(delivery)] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert db.session.get(type(world.endpoint), world.endpoint.id).failing_since is None


def test_an_always_failing_receiver_turns_the_endpoint_off_after_48_hours(receiver, mailbox):
    receiver.answers = [503]
    world = hooked(receiver)
    patient_created(world)
    deliver()
    for retry, after in enumerate(outcomes.RETRY_AFTER, start=1):
        endpoint = db.session.get(type(world.endpoint), world.endpoint.id)
        assert endpoint.active, f"turned off before retry {retry}"
        with clock.travel(after + timedelta(seconds=1)):
            assert deliver() == 1
    endpoint = db.session.get(type(world.endpoint), world.endpoint.id)
    assert not endpoint.active
    assert "48 hours" in endpoint.disabled_reason and "HTTP 503" in endpoint.disabled_reason
    assert len(receiver.received) == 1 + len(outcomes.RETRY_AFTER)
    assert _delivery().status is DeliveryStatus.FAILED
    with clock.travel(timedelta(days=3)):  # the email was queued 48 hours from now
        outbox.send_due()
    [body] = mailbox.bodies_to(world.admin.email)
    assert "turned it off" in body and receiver.url in body
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "webhook_endpoint.turned_off")
        )
        == 1
    )
    patient_created(world)  # nothing more goes to an endpoint that is off
    with clock.travel(timedelta(days=3)):
        deliver()
    assert len(receiver.received) == 1 + len(outcomes.RETRY_AFTER)


def test_replay_sends_the_event_again_as_a_new_delivery(receiver):
    world = hooked(receiver)
    patient_created(world, patient_id=5)
    deliver()
    first = _delivery()
    again = delivery_log.replay(first, by=world.admin)
    deliver()
    first_message, second_message = receiver.messages()
    assert second_message["delivery_id"] == again.id != first.id
    assert second_message["data"] == first_message["data"]
    assert again.replay_of_id == first.id


def test_replay_and_test_events_are_refused_while_the_endpoint_is_off(receiver):
    world = hooked(receiver)
    patient_created(world)
    deliver()
    endpoints.change(world.endpoint, active=False, by=world.admin)
    with pytest.raises(Exception, match="re-enable it first"):
        delivery_log.replay(_delivery(), by=world.admin)
    with pytest.raises(Exception, match="re-enable it first"):
        delivery_log.send_test(world.endpoint, by=world.admin)


def test_a_test_event_goes_to_that_endpoint_only(receiver):
    world = hooked(receiver)
    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()
    [message] = receiver.messages()
    assert message["event_name"] == "webhook_test"
    assert message["data"]["webhook_endpoint_id"] == world.endpoint.id


def test_turning_an_endpoint_off_fails_what_waits_and_it_gets_only_new_events_when_back_on(
    receiver,
):
    receiver.answers = [500]
    world = hooked(receiver)
    patient_created(world)
    deliver()
    endpoints.change(world.endpoint, active=False, by=world.admin)
    assert _delivery().status is DeliveryStatus.FAILED
    receiver.answers = [200]
    endpoints.reenable(world.endpoint, by=world.admin)
    with clock.travel(timedelta(hours=1)):
        deliver()
    assert len(receiver.received) == 1  # the failed one waits in the log, replayable


def test_a_worker_that_stopped_mid_attempt_leaves_the_delivery_to_be_sent_again(receiver):
    world = hooked(receiver)
    patient_created(world)
    from portal.services.webhooks import deliveries

    deliveries.fan_out()
    assert [due.id for due in deliveries._claim("stopped-worker", 10)] == [_delivery().id]
    assert deliver("other-worker") == 0  # claimed: nobody else sends it
    with clock.travel(timedelta(minutes=10)):
        assert deliver("other-worker") == 1
    assert len(receiver.received) == 1 and _delivery().status is DeliveryStatus.SUCCEEDED


def test_the_log_keeps_thirty_days(receiver):
    world = hooked(receiver)
    patient_created(world)
    deliver()
    with clock.travel(timedelta(days=29)):
        delivery_log.forget_old()
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 1
    with clock.travel(timedelta(days=31)):
        delivery_log.forget_old()
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 0
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


def test_the_failures_filter_lists_deliveries_whose_last_attempt_failed(receiver):
    receiver.answers = [500, 200]
    world = hooked(receiver)
    patient_created(world, 1)
    patient_created(world, 2)
    deliver()
    assert delivery_log.page_of(world.endpoint, failures_only=True).total == 1
    assert delivery_log.page_of(world.endpoint).total == 2
    assert sandbox_of(world.admin).id == world.institution.id


def test_the_worker_fans_events_out_and_delivers_them(receiver):
    from portal import worker

    world = hooked(receiver)
    patient_created(world, patient_id=3)
    worker.run_until_idle("test-worker")
    assert [m["data"] for m in receiver.messages()] == [{"patients": [{"id": 3}]}]
