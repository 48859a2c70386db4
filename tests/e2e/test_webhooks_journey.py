"""A developer adds a webhook endpoint on the Webhooks page, copies its secret, sends a test
event, sees it delivered in the log, and replays it: a receiver on loopback checks every
message's signature with the secret the page showed."""

import pytest
from playwright.sync_api import expect

from portal import worker
from tests.e2e.visits import sign_in
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def deliver_what_is_due() -> None:
    """What `flask worker` does next: send the due deliveries (here, in this process)."""
    worker.run_until_idle("journey worker")


def test_add_an_endpoint_send_a_test_event_see_it_delivered_and_replay_it(
    page, org_admin, receiver
):
    sign_in(page, org_admin.email)
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Webhooks").click()
    page.get_by_label("Target URL (HTTPS)").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("webhook-secret")
    expect(secret).to_be_visible()
    receiver.secret = secret.input_value()
    page.get_by_role("link", name="I have saved it").click()

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event queued")).to_be_visible()
    log = page.get_by_test_id("delivery-log")
    expect(log).to_contain_text("Test event")
    expect(log).to_contain_text("Waiting")

    deliver_what_is_due()
    page.reload()
    expect(log).to_contain_text("Delivered")
    expect(log).to_contain_text("HTTP 200")
    (first,) = receiver.received
    assert first.signature_ok and first.message["event_name"] == "webhook_test"

    delivery_id = first.message["delivery_id"]
    page.get_by_role("button", name=f"Replay delivery {delivery_id}").click()
    expect(page.get_by_text("Replay queued")).to_be_visible()
    newest = log.locator("tbody tr").first  # the log lists the newest delivery first
    expect(newest.locator(".badge", has_text="Replay")).to_be_visible()
    expect(newest).to_contain_text("Waiting")
    deliver_what_is_due()
    page.reload()
    expect(newest).to_contain_text("Delivered")
    expect(log.locator("tbody tr")).to_have_count(2)
    _, replayed = receiver.received
    assert replayed.signature_ok
    assert replayed.message["data"] == first.message["data"]
    assert replayed.message["delivery_id"] != delivery_id
