"""What happens to a batch of deliveries when the world changes while it is out: an endpoint
deleted or turned off, or a secret no configured key can open. Each fault stays with its own
deliveries; the rest of the batch is recorded as usual."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.services.webhooks import deliveries, dispatch, endpoints
from tests.conftest import signup
from tests.webhook_receiver import Receiver
from tests.webhooks_world import hooked, patient_created


@pytest.fixture
def receivers():
    running = [Receiver().start(), Receiver().start()]
    yield running
    for receiver in running:
        receiver.stop()


def _two_organizations(receivers):
    kept = hooked(receivers[0])
    other = signup("Gone Apps", "gil@goneapps.example", "Gil Gone")
    gone = hooked(receivers[1], user=other)
    for world in (kept, gone):
        patient_created(world)
    deliveries.fan_out("test-worker")
    return kept, gone


def _after_sending(monkeypatch, change) -> None:
    """Run `change` once the batch is sent, before its outcomes are recorded."""
    real = dispatch.send_all

    def send_then_change(batch, *, stop_at):
        result = real(batch, stop_at=stop_at)
        change()
        return result

    monkeypatch.setattr(dispatch, "send_all", send_then_change)


def _status(endpoint_id: int) -> list[DeliveryStatus]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint_id)
        )
    )


def test_an_endpoint_deleted_while_its_batch_is_out_leaves_the_others_recorded(
    receivers, monkeypatch
):
    kept, gone = _two_organizations(receivers)
    _after_sending(
        monkeypatch,
        lambda: endpoints.delete(db.session.get(WebhookEndpoint, gone.endpoint.id), by=gone.admin),
    )

    assert deliveries.send_due("test-worker") == 2  # no foreign-key error for the gone one

    assert _status(kept.endpoint.id) == [DeliveryStatus.SUCCEEDED]
    attempts = db.session.scalars(select(WebhookAttempt.endpoint_id)).all()
    assert attempts == [kept.endpoint.id]


def test_what_a_batch_gives_back_to_an_endpoint_turned_off_meanwhile_fails(
    app, receivers, monkeypatch
):
    kept, gone = _two_organizations(receivers)
    app.config["WEBHOOK_CLAIM_SECONDS"] = 0  # out of time at once: the batch gives all back
    _after_sending(
        monkeypatch,
        lambda: endpoints.change(
            db.session.get(WebhookEndpoint, gone.endpoint.id), active=False, by=gone.admin
        ),
    )
    try:
        assert deliveries.send_due("test-worker") == 2
    finally:
        app.config["WEBHOOK_CLAIM_SECONDS"] = 300

    assert _status(gone.endpoint.id) == [DeliveryStatus.FAILED]  # not back to pending
    assert _status(kept.endpoint.id) == [DeliveryStatus.PENDING]
    assert db.session.scalar(select(func.count(WebhookAttempt.id))) == 0


def test_a_secret_no_key_opens_fails_its_own_deliveries_and_not_the_batch(receivers):
    kept, gone = _two_organizations(receivers)
    endpoint = db.session.get(WebhookEndpoint, gone.endpoint.id)
    endpoint.secret_encrypted = "gAAAAAB-not-a-token-any-key-opens"
    db.session.commit()

    assert deliveries.send_due("test-worker") == 2

    assert _status(kept.endpoint.id) == [DeliveryStatus.SUCCEEDED]
    assert receivers[1].received == []
    failed = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == gone.endpoint.id)
    )
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 1  # retried later
    assert "signing secret cannot be read" in failed.last_error
