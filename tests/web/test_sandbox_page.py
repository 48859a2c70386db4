"""The Sandbox page: its controls (sync stale or recovered, fail the next write, fire a
subscribed webhook event) say what they do, change state only through a POST with a CSRF
token by a role that may, leave an audit row, and answer bad input with words, never a 500."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    DeliveryStatus,
    Event,
    Institution,
    Mode,
    Role,
    WebhookDelivery,
)
from portal.services.accounts import users
from portal.services.webhooks import endpoints
from tests.conftest import PASSWORD, csrf_token, login, signup
from tests.sandbox_world import running_sandbox_sync
from tests.webhooks_world import deliver, hooked

PAGE = "/portal/sandbox/"


@pytest.fixture
def owner(client):
    user = signup("Sandy Apps", "sam@sandy.example", "Sam Sandy")
    login(client, user.email)
    return user


def _post(client, path: str, data: dict | None = None, token_page: str = PAGE):
    token = csrf_token(client, token_page)
    return client.post(f"{PAGE}{path}", data={"csrf_token": token, **(data or {})})


def _flash(client) -> str:
    page = client.get(PAGE).get_data(as_text=True)
    return " ".join(re.findall(r'role="(?:status|alert)"[^>]*>(.*?)</div>', page, re.S))


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _audited(action: str) -> int:
    return _count(AuditEvent, AuditEvent.action == action)


def test_the_page_names_each_control_and_how_to_get_what_it_needs(client, owner):
    page = client.get(PAGE).get_data(as_text=True)
    for words in (
        "Reset the sandbox practice's data",
        "Make the sandbox sync go stale or recover",
        "no running sync yet",
        "Fail the next write",
        "appointment_insertion.failed",
        "Fire a webhook event",
        "None of your sandbox endpoints is subscribed",
    ):
        assert words in page, words
    assert 'href="/portal/webhooks/"' in page
    assert "<select" not in page  # nothing to choose without a sync or a subscription


def test_with_a_sync_and_subscriptions_the_page_offers_sides_and_events(client, owner, receiver):
    running_sandbox_sync(owner)
    hooked(receiver, user=owner, event="appointment_insertion")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Now: reads healthy, writes healthy." in page
    assert "Make it stale" in page and "Reads only" in page
    for value, label in (
        ("appointment_insertion.complete", "Appointment insertion: complete"),
        ("appointment_insertion.failed", "Appointment insertion: failed"),
        ("appointment_insertion.timed_out", "Appointment insertion: timed out"),
    ):
        assert f'<option value="{value}">{label}</option>' in page
    assert "patient_created" not in page  # not subscribed: not offered


def test_making_the_sync_stale_from_the_page_sends_its_events(client, owner):
    running_sandbox_sync(owner)
    answer = _post(client, "sync", {"state": "stale", "side": "read"})
    assert answer.status_code == 302
    assert "The sandbox sync is stale now" in _flash(client)
    assert "reads stale" in client.get(PAGE).get_data(as_text=True)
    assert _count(Event, Event.name == "sync_status_read_change.red") == 1
    assert _audited("sandbox.sync_stale") == 1
    _post(client, "sync", {"state": "recover", "side": "read"})
    assert _count(Event, Event.name == "sync_status_read_change.green") == 1
    assert _audited("sandbox.sync_recovered") == 1


def test_arming_the_failed_booking_from_the_page_is_shown_and_undone(client, owner):
    _post(client, "failed-booking", {"on": "1"})
    assert "will be refused" in _flash(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Armed:" in page and "Let the next booking through" in page
    assert db.session.scalar(select(Institution.fail_next_booking).where(
        Institution.mode == Mode.SANDBOX))  # fmt: skip
    _post(client, "failed-booking", {"on": "0"})
    db.session.expire_all()
    assert not db.session.scalar(select(Institution.fail_next_booking).where(
        Institution.mode == Mode.SANDBOX))  # fmt: skip
    assert _audited("sandbox.fail_next_booking") == 2


def test_a_fired_event_is_delivered_signed_and_logged(client, owner, receiver):
    world = hooked(receiver, user=owner, event="patient_created")
    answer = _post(client, "events", {"event": "patient_created"})
    assert answer.status_code == 302
    assert "Patient created queued" in _flash(client)
    deliver()
    [received] = receiver.received
    assert received.signature_ok and received.message["event_name"] == "patient_created"
    patient = received.message["data"]["patient"]
    assert {"id", "first_name", "last_name", "location_ids"} <= set(patient)
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.endpoint_id == world.endpoint.id and delivery.status is DeliveryStatus.SUCCEEDED
    assert _audited("sandbox.event_fired") == 1


def test_a_fired_sync_event_carries_the_sync_status_it_names(client, owner, receiver):
    running_sandbox_sync(owner)
    hooked(receiver, user=owner, event="sync_status_write_change")
    _post(client, "events", {"event": "sync_status_write_change.red"})
    deliver()
    [received] = receiver.received
    status = received.message["data"]["sync_status"]
    assert received.message["event_name"] == "sync_status_write_change.red"
    assert status["write_status"] == "red" and status["read_status"] == "green"


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [("complete", None), ("failed", "a sample reason"), ("timed_out", "did not report in time")],
)
def test_a_fired_booking_outcome_is_shaped_as_a_real_one(client, owner, receiver, outcome, reason):
    hooked(receiver, user=owner, event="appointment_insertion")
    _post(client, "events", {"event": f"appointment_insertion.{outcome}"})
    deliver()
    [received] = receiver.received
    data = received.message["data"]
    assert data["appointment"]["cancelled"] is (reason is not None)
    assert (reason is None and "reason" not in data) or reason in data["reason"]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("events", {"event": "no_such_event"}),
        ("events", {"event": "patient_created.complete"}),
        ("events", {"event": "appointment_insertion.failed"}),  # not subscribed
        ("events", {}),
        ("sync", {"state": "stale", "side": "both"}),  # no sync yet
        ("sync", {"state": "boil", "side": "<script>"}),
        ("sync", {}),
        ("failed-booking", {"on": "'; drop table institutions"}),
    ],
)
def test_bad_input_gets_words_and_changes_nothing(client, owner, receiver, path, data):
    hooked(receiver, user=owner, event="patient_created")
    answer = _post(client, path, data)
    assert answer.status_code == 302
    assert _count(Event) == 0
    if path != "failed-booking":
        assert _flash(client)


def test_another_organizations_subscription_is_not_offered_nor_fired(client, owner, receiver):
    other = signup("Other Apps", "olga@other.example", "Olga Other")
    hooked(receiver, user=other, event="patient_created")
    assert "patient_created" not in client.get(PAGE).get_data(as_text=True)
    _post(client, "events", {"event": "patient_created"})
    assert "Choose one of the events" in _flash(client)
    assert _count(Event) == 0


def test_a_turned_off_sandbox_endpoint_offers_nothing(client, owner, receiver):
    world = hooked(receiver, user=owner, event="patient_created")
    endpoints.change(world.endpoint, active=False, by=owner)
    assert "None of your sandbox endpoints is subscribed" in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("", {}),
        ("sync", {"state": "stale", "side": "both"}),
        ("failed-booking", {"on": "1"}),
        ("events", {"event": "patient_created"}),
    ],
)
def test_a_viewer_is_refused_and_the_refusal_is_audited(client, owner, receiver, path, data):
    running_sandbox_sync(owner)
    hooked(receiver, user=owner, event="patient_created")
    users.add_member(owner.organization, "vic@sandy.example", "Vic", PASSWORD, Role.VIEWER)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    login(client, "vic@sandy.example")
    assert client.get(PAGE).status_code == 403
    answer = _post(client, path, data, token_page="/portal/")
    assert answer.status_code == 403
    assert _count(Event) == 0 and _audited("permission.denied") == 2
    assert _count(AuditEvent, AuditEvent.action.like("sandbox.%")) == 0


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("sync", {"state": "stale", "side": "both"}),
        ("failed-booking", {"on": "1"}),
        ("events", {"event": "patient_created"}),
    ],
)
def test_a_post_without_its_csrf_token_changes_nothing(client, owner, receiver, path, data):
    running_sandbox_sync(owner)
    hooked(receiver, user=owner, event="patient_created")
    answer = client.post(f"{PAGE}{path}", data=data)
    assert answer.status_code == 400
    assert _count(Event) == 0 and _count(AuditEvent, AuditEvent.action.like("sandbox.%")) == 0
