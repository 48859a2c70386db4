"""The portal's Webhooks page: add an endpoint (secret shown once), subscribe, send a test
event, the delivery log and its failures filter, replay, rotate, turn off, re-enable,
delete, sync alert emails; scoped to the organization and mode, admins only."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Mode, Role, WebhookEndpoint
from portal.services.accounts import users
from portal.services.webhooks import endpoints
from tests.conftest import PASSWORD, csrf_token, login, signup
from tests.webhooks_world import deliver, sandbox_of

PAGE = "/portal/webhooks/"


@pytest.fixture
def admin(client):
    user = signup("Hook Apps", "hana@hookapps.example", "Hana Hook")
    login(client, user.email)
    return user


def _post(client, path: str, data: dict | None = None, page: str = PAGE):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def _fresh(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    db.session.expire_all()  # the request changed it in its own session
    return db.session.get(WebhookEndpoint, endpoint.id)


def audit_rows(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def _add(client, receiver) -> tuple[WebhookEndpoint, str]:
    answer = _post(client, f"{PAGE}add", {"target_url": receiver.url})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    secret = re.search(r'id="webhook-secret"[^>]*value="([^"]+)"', html).group(1)
    return db.session.scalars(select(WebhookEndpoint)).one(), secret


def test_an_added_endpoint_shows_its_secret_once_then_only_its_end(client, admin, receiver):
    endpoint, secret = _add(client, receiver)
    assert len(secret) == 32 and endpoints.secret_of(endpoint) == secret
    listing = client.get(PAGE).get_data(as_text=True)
    assert receiver.url in listing and secret not in listing and secret[-4:] in listing
    detail = client.get(f"{PAGE}{endpoint.id}/").get_data(as_text=True)
    assert secret not in detail


def test_an_unsafe_target_is_refused_with_the_reason(app, client, admin):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    try:
        answer = _post(client, f"{PAGE}add", {"target_url": "http://169.254.169.254/latest"})
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    assert answer.status_code == 400
    assert "cloud metadata address" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_subscribe_send_a_test_event_see_it_in_the_log_and_replay_it(client, admin, receiver):
    endpoint, secret = _add(client, receiver)
    receiver.secret = secret
    detail = f"{PAGE}{endpoint.id}/"
    institution = sandbox_of(admin)
    _post(
        client,
        f"{detail}subscriptions",
        {"event": "patient_created", "institution": str(institution.id)},
        page=detail,
    )
    assert "Patient created" in client.get(detail).get_data(as_text=True)
    _post(client, f"{detail}test", page=detail)
    deliver()
    log = client.get(detail).get_data(as_text=True)
    assert "Test event" in log and "Delivered" in log and "HTTP 200" in log
    delivery_id = re.search(r'data-delivery="(\d+)"', log).group(1)
    _post(client, f"{detail}deliveries/{delivery_id}/replay", page=detail)
    deliver()
    assert [r.signature_ok for r in receiver.received] == [True, True]
    ids = [m["delivery_id"] for m in receiver.messages()]
    assert ids[0] == int(delivery_id) and ids[1] != ids[0]
    assert "Replay" in client.get(detail).get_data(as_text=True)


def test_a_sandbox_endpoint_is_offered_only_events_the_sandbox_can_cause(client, admin, receiver):
    endpoint, _ = _add(client, receiver)
    detail = f"{PAGE}{endpoint.id}/"
    page = client.get(detail).get_data(as_text=True)
    assert "Onboarding events need no institution" not in page
    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert "patient_created" in offered and "sync_status_read_change" in offered
    assert "onboarding_created" not in offered and "onboarding_updated" not in offered
    refused = _post(client, f"{detail}subscriptions", {"event": "onboarding_created"}, page=detail)
    assert refused.status_code < 500
    assert _fresh(endpoint).subscriptions == []


def test_the_failures_filter_shows_only_failed_deliveries(client, admin, receiver):
    receiver.answers = [500, 200]
    endpoint, _ = _add(client, receiver)
    detail = f"{PAGE}{endpoint.id}/"
    _post(client, f"{detail}test", page=detail)
    _post(client, f"{detail}test", page=detail)
    deliver()
    everything = client.get(detail).get_data(as_text=True)
    failures = client.get(f"{detail}?failures=1").get_data(as_text=True)
    assert everything.count("data-delivery=") == 2
    assert failures.count("data-delivery=") == 1 and "HTTP 500" in failures


def test_turn_off_asks_what_stops_then_re_enable_brings_it_back(client, admin, receiver):
    endpoint, _ = _add(client, receiver)
    detail = f"{PAGE}{endpoint.id}/"
    question = client.get(f"{detail}turn-off").get_data(as_text=True)
    assert "Nothing more is sent to it" in question
    _post(client, f"{detail}turn-off", page=f"{detail}turn-off")
    assert not _fresh(endpoint).active
    off = client.get(detail).get_data(as_text=True)
    assert "Re-enable" in off and "Send test event" not in off
    again = client.get(f"{detail}turn-off", follow_redirects=True).get_data(as_text=True)
    assert "This endpoint is off already" in again and "Nothing more is sent to it" not in again
    audited = audit_rows("webhook_endpoint.changed")
    _post(client, f"{detail}turn-off", page=detail)
    assert audit_rows("webhook_endpoint.changed") == audited  # a second turn-off changes nothing
    _post(client, f"{detail}reenable", page=detail)
    assert _fresh(endpoint).active


def test_rotating_shows_a_new_secret_once_and_the_old_one_stops(client, admin, receiver):
    endpoint, old = _add(client, receiver)
    detail = f"{PAGE}{endpoint.id}/"
    answer = _post(client, f"{detail}rotate", page=f"{detail}rotate")
    new = re.search(r'id="webhook-secret"[^>]*value="([^"]+)"', answer.get_data(as_text=True))
    assert new.group(1) != old
    assert endpoints.secret_of(_fresh(endpoint)) == new.group(1)


def test_delete_removes_the_endpoint_and_its_log(client, admin, receiver):
    endpoint, _ = _add(client, receiver)
    detail = f"{PAGE}{endpoint.id}/"
    _post(client, f"{detail}test", page=detail)
    deliver()
    _post(client, f"{detail}delete", page=f"{detail}delete")
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_sync_alert_emails_can_be_turned_off_and_on(client, admin):
    _post(client, f"{PAGE}sync-alerts", {"on": "0"})
    db.session.refresh(admin.organization)
    assert admin.organization.sync_notifications is False
    assert "Turn sync alert emails on" in client.get(PAGE).get_data(as_text=True)
    _post(client, f"{PAGE}sync-alerts", {"on": "1"})
    db.session.refresh(admin.organization)
    assert admin.organization.sync_notifications is True


def test_another_organizations_endpoint_is_not_found(client, admin, receiver):
    stranger = signup("Other Co", "o@other.example")
    theirs = endpoints.create(
        stranger.organization, Mode.SANDBOX, target_url=receiver.url, by=stranger
    ).endpoint
    assert client.get(f"{PAGE}{theirs.id}/").status_code == 404
    assert _post(client, f"{PAGE}{theirs.id}/test").status_code == 404
    assert _post(client, f"{PAGE}{theirs.id}/delete").status_code == 404


def test_a_production_endpoint_is_not_on_the_sandbox_page(client, admin, receiver):
    admin.organization.production_enabled = True
    db.session.commit()
    production = endpoints.create(
        admin.organization, Mode.PRODUCTION, target_url=receiver.url, by=admin
    ).endpoint
    assert receiver.url not in client.get(PAGE).get_data(as_text=True)
    offer = client.get(f"{PAGE}{production.id}/").get_data(as_text=True)  # switch to see it
    assert 'data-testid="other-mode"' in offer and receiver.url not in offer


def test_viewers_are_refused_and_developers_manage_webhooks(client, admin):
    users.add_member(admin.organization, "vi@hookapps.example", "Vi", PASSWORD, Role.VIEWER)
    users.add_member(admin.organization, "max@hookapps.example", "Max", PASSWORD)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    login(client, "vi@hookapps.example")
    assert client.get(PAGE).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    login(client, "max@hookapps.example")
    assert client.get(PAGE).status_code == 200


def test_changes_without_a_csrf_token_are_refused(client, admin, receiver):
    answer = client.post(f"{PAGE}add", data={"target_url": receiver.url})
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "webhook_endpoint.created")) == 0  # fmt: skip


@pytest.mark.parametrize("number", ["²", "٣", "99999999999999999999"])
def test_a_log_page_or_institution_that_is_no_plain_number_is_not_a_500(client, admin, number):
    endpoint = endpoints.create(
        admin.organization, Mode.SANDBOX, target_url="http://127.0.0.1:9/in", by=admin
    ).endpoint
    page = f"{PAGE}{endpoint.id}/"

    listing = client.get(page, query_string={"page": number})
    subscribe = _post(
        client,
        f"{page}subscriptions",
        {"event": "patient_created", "institution": number},
        page=page,
    )

    assert listing.status_code == 200
    assert subscribe.status_code == 400
    assert "Choose the institution whose events you want." in subscribe.get_data(as_text=True)
