"""Webhooks between real processes: `flask worker` delivers to a receiver on loopback that
checks NexHealth's signature; retries follow the back-off, an endpoint failing for 48 hours
(the worker's clock moved ahead) is turned off with its admins emailed, and a replay asked
for on the portal is delivered again."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.processes.conftest import form_token, signed_in, wait_for
from tests.webhooks_world import hooked, patient_created

WINDOW = timedelta(hours=48)


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()  # the worker changed them in its own process
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def first_attempted() -> bool:
    found = deliveries()
    return bool(found) and found[0].attempts == 1


def endpoint_row(world) -> WebhookEndpoint:
    db.session.expire_all()
    return db.session.get(WebhookEndpoint, world.endpoint.id)


@pytest.fixture
def world(receiver):
    found = hooked(receiver)
    patient_created(found, patient_id=41)
    return found


def test_a_failed_delivery_is_sent_again_after_its_back_off_and_delivered_once(
    world, receiver, workers
):
    receiver.answers = [500, 200]
    worker = workers.start()
    wait_for(lambda: len(receiver.received) == 2, what="the retry")
    wait_for(lambda: deliveries()[0].status is DeliveryStatus.SUCCEEDED, what="the success")
    workers.stop(worker)

    first, second = receiver.received
    assert first.body == second.body  # the same message, the same delivery
    assert first.message["data"] == {"patients": [{"id": 41}]}
    assert first.signature_ok and second.signature_ok
    waited = int(second.headers["timestamp"]) - int(first.headers["timestamp"])
    assert waited >= 30  # NexHealth's first retry comes 30 seconds after the first attempt
    (delivery,) = deliveries()
    assert delivery.attempts == 2 and delivery.last_status_code == 200
    assert len(receiver.received) == 2  # delivered once: nothing more after the success


def test_an_endpoint_failing_for_48_hours_is_turned_off_and_its_admins_emailed(
    world, receiver, workers, mailbox
):
    receiver.answers = [503]
    worker = workers.start()
    wait_for(first_attempted, what="the first attempt")
    workers.stop(worker)
    assert endpoint_row(world).active is True

    later = workers.start(ahead_seconds=(WINDOW + timedelta(hours=1)).total_seconds())
    wait_for(lambda: not endpoint_row(world).active, what="the endpoint turned off")
    wait_for(lambda: mailbox.received, what="the admins' email")
    workers.stop(later)

    endpoint = endpoint_row(world)
    assert "Deliveries failed for 48 hours" in endpoint.disabled_reason
    assert "HTTP 503" in endpoint.disabled_reason
    (email,) = mailbox.received
    assert email["To"] == world.admin.email
    assert world.endpoint.target_url in email.get_body(("plain",)).get_content()
    assert all(r.signature_ok for r in receiver.received) and len(receiver.received) == 2
    assert deliveries()[0].status is DeliveryStatus.FAILED


def test_a_replay_asked_for_on_the_portal_is_delivered_again(world, receiver, workers, live_server):
    worker = workers.start()
    wait_for(lambda: len(receiver.received) == 1, what="the first delivery")
    wait_for(lambda: deliveries()[0].status is DeliveryStatus.SUCCEEDED, what="its success")
    (delivered,) = deliveries()
    workers.stop(worker)  # the portal's replay waits in the database for the next worker

    browser = signed_in(live_server, world.admin.email)
    page = f"/portal/webhooks/{world.endpoint.id}/"
    answer = browser.post(
        f"{page}deliveries/{delivered.id}/replay", data={"csrf_token": form_token(browser, page)}
    )
    assert answer.status_code == 200 and "Replay queued" in answer.text

    worker = workers.start()
    wait_for(lambda: len(receiver.received) == 2, what="the replay")
    wait_for(lambda: deliveries()[-1].status is DeliveryStatus.SUCCEEDED, what="its success")
    workers.stop(worker)
    first, again = receiver.messages()
    assert again["event_name"] == first["event_name"] == "patient_created"
    assert again["data"] == first["data"] and again["delivery_id"] != first["delivery_id"]
    assert receiver.received[1].signature_ok
    assert deliveries()[-1].replay_of_id == delivered.id
