"""The webhook endpoints and subscriptions API: NexHealth's eight operations in its shapes,
for sandbox and production keys, scoped to the key's organization and mode."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Mode, WebhookEndpoint
from portal.services.accounts import api_keys
from portal.services.webhooks import endpoints
from tests.api.conftest import Api, bearer_token, first_provider, new_patient_body
from tests.onboarding import upgraded
from tests.webhooks_world import deliver

HOOKS = "/webhook_endpoints"


def create_endpoint(api: Api, url: str = "http://127.0.0.1:9/hooks", **extra) -> dict:
    response = api.post(HOOKS, {"target_url": url, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def subscribe(api: Api, endpoint_id: int, body: dict, **query):
    return api.post(f"{HOOKS}/{endpoint_id}/webhook_subscriptions", body, **query)


def delete(api: Api, path: str):
    return api.client.delete(f"/api{path}", headers=api._headers(None))


def test_creating_an_endpoint_shows_its_secret_once(api):
    created = create_endpoint(api)
    assert set(created) == {"id", "target_url", "secret_key", "active", "created_at", "updated_at"}
    assert created["active"] is True and len(created["secret_key"]) == endpoints.SECRET_LENGTH
    listed = api.get(HOOKS).get_json()
    assert listed["count"] == 1
    assert listed["data"][0]["secret_key"] == f"\u2026{created['secret_key'][-4:]}"
    row = db.session.get(WebhookEndpoint, created["id"])
    assert endpoints.secret_of(row) == created["secret_key"]


def test_endpoints_are_listed_by_whether_they_are_on(api):
    on = create_endpoint(api)
    off = create_endpoint(api, "http://127.0.0.1:9/other", active=False)
    assert [e["id"] for e in api.get(HOOKS, active="true").get_json()["data"]] == [on["id"]]
    assert [e["id"] for e in api.get(HOOKS, active="false").get_json()["data"]] == [off["id"]]
    assert len(api.get(HOOKS).get_json()["data"]) == 2


def test_an_endpoint_is_changed_turned_off_and_on_and_deleted(api):
    created = create_endpoint(api)
    path = f"{HOOKS}/{created['id']}"
    changed = api.patch(path, {"target_url": "http://127.0.0.1:9/moved", "active": False})
    assert changed.status_code == 200
    assert changed.get_json()["data"]["target_url"] == "http://127.0.0.1:9/moved"
    assert changed.get_json()["data"]["active"] is False
    assert api.patch(path, {"active": True}).get_json()["data"]["active"] is True
    assert delete(api, path).status_code == 204
    assert api.patch(path, {"active": False}).status_code == 404
    assert api.get(HOOKS).get_json()["data"] == []


def test_unsafe_or_missing_targets_are_refused_by_name(api):
    private = api.post(HOOKS, {"target_url": "http://10.0.0.5/hooks"})
    assert private.status_code == 400
    assert "private address" in private.get_json()["error"][0]
    metadata = api.post(HOOKS, {"target_url": "http://169.254.169.254/latest"})
    assert "metadata" in metadata.get_json()["error"][0]
    assert api.post(HOOKS, {}).get_json()["error"] == ["target_url is required."]
    assert api.post(HOOKS, {"target_url": 5}).status_code == 400
    assert api.client.post(
        "/api/webhook_endpoints", data="not json", headers=api._headers(None)
    ).get_json()["error"] == ["body must be a JSON object."]
    created = create_endpoint(api)
    moved = api.patch(f"{HOOKS}/{created['id']}", {"target_url": "ftp://example.com/x"})
    assert moved.status_code == 400
    assert db.session.get(WebhookEndpoint, created["id"]).target_url == created["target_url"]
    assert db.session.scalar(select(db.func.count(WebhookEndpoint.id))) == 1


def test_another_organizations_endpoints_are_not_found(client, api, other_sandbox):
    theirs = Api(client, bearer_token(client, other_sandbox.raw_key))
    created = create_endpoint(theirs)
    path = f"{HOOKS}/{created['id']}"
    assert api.get(HOOKS).get_json()["data"] == []
    assert api.patch(path, {"active": False}).status_code == 404
    assert delete(api, path).status_code == 404
    assert api.get(f"{path}/webhook_subscriptions").status_code == 404
    assert (
        subscribe(
            api, created["id"], {"resource_type": "Onboarding", "event": "onboarding_created"}
        ).status_code
        == 404
    )
    assert db.session.get(WebhookEndpoint, created["id"]).active is True


def test_endpoints_belong_to_the_mode_and_outlive_a_rotated_key(client):
    admin = upgraded("Gamma Apps", "gina@gamma.example")
    sandbox_key = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin)
    production_key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin)
    in_sandbox = Api(client, bearer_token(client, sandbox_key.raw))
    in_production = Api(client, bearer_token(client, production_key.raw))
    created = create_endpoint(in_sandbox)
    assert in_production.get(HOOKS).get_json()["data"] == []
    assert in_production.patch(f"{HOOKS}/{created['id']}", {"active": False}).status_code == 404
    rotated = api_keys.rotate(sandbox_key.key, actor=admin, grace="now")
    after = Api(client, bearer_token(client, rotated.raw))
    assert [e["id"] for e in after.get(HOOKS).get_json()["data"]] == [created["id"]]
    assert after.patch(f"{HOOKS}/{created['id']}", {"active": False}).status_code == 200


def test_every_change_is_audited_with_the_key_that_made_it(api, sandbox):
    created = create_endpoint(api)
    api.patch(f"{HOOKS}/{created['id']}", {"active": False})
    delete(api, f"{HOOKS}/{created['id']}")
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("webhook_endpoint.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == [
        "webhook_endpoint.created",
        "webhook_endpoint.changed",
        "webhook_endpoint.deleted",
    ]
    assert all(r.organization_id == sandbox.organization.id for r in rows)
    assert all("\u2026" in r.details["api_key"] for r in rows)


# Subscriptions --------------------------------------------------------------------------


def test_subscribing_in_an_institution(api, sandbox):
    endpoint = create_endpoint(api)
    booked = subscribe(
        api,
        endpoint["id"],
        {"resource_type": "Appointment", "event": "appointment_insertion"},
        subdomain=sandbox.subdomain,
    )
    assert booked.status_code == 201, booked.get_json()
    data = booked.get_json()["data"]
    assert data["webhook_endpoint_id"] == endpoint["id"] and data["active"] is True
    assert data["institution_id"] is not None and data["resource_type"] == "Appointment"
    subscribe(
        api,
        endpoint["id"],
        {"resource_type": "Patient", "event": "patient_created"},
        subdomain=sandbox.subdomain,
    )
    path = f"{HOOKS}/{endpoint['id']}/webhook_subscriptions"
    assert api.get(path).get_json()["count"] == 2
    in_sandbox = api.get(path, subdomain=sandbox.subdomain, resource_type="Appointment")
    assert [s["event"] for s in in_sandbox.get_json()["data"]] == ["appointment_insertion"]
    assert api.get(path, event="patient_updated").get_json()["data"] == []


def test_bad_subscriptions_are_refused_with_what_is_wrong(api, sandbox, other_sandbox):
    endpoint = create_endpoint(api)["id"]
    appointment = {"resource_type": "Appointment", "event": "appointment_created"}
    no_institution = subscribe(api, endpoint, appointment)
    assert no_institution.get_json()["error"] == ["subdomain is required for Appointment events."]
    wrong_pair = subscribe(
        api,
        endpoint,
        {"resource_type": "Patient", "event": "appointment_created"},
        subdomain=sandbox.subdomain,
    )
    assert wrong_pair.get_json()["error"] == [
        "resource_type of appointment_created is Appointment."
    ]
    unknown = subscribe(api, endpoint, {"resource_type": "Claim", "event": "claim_created"})
    assert unknown.status_code == 400 and "must be one of:" in unknown.get_json()["error"][0]
    theirs = subscribe(api, endpoint, appointment, subdomain=other_sandbox.subdomain)
    assert theirs.status_code == 403
    assert subscribe(api, endpoint, appointment, subdomain=sandbox.subdomain).status_code == 201
    again = subscribe(api, endpoint, appointment, subdomain=sandbox.subdomain)
    assert again.status_code == 409
    assert subscribe(api, 2**31, appointment).status_code == 404


def test_a_subscription_is_paused_moved_and_deleted(api, sandbox, client, other_sandbox):
    first, second = create_endpoint(api)["id"], create_endpoint(api, "http://127.0.0.1:9/b")["id"]
    theirs = create_endpoint(Api(client, bearer_token(client, other_sandbox.raw_key)))["id"]
    body = {"resource_type": "Patient", "event": "patient_created"}
    made = subscribe(api, first, body, subdomain=sandbox.subdomain).get_json()["data"]
    path = f"{HOOKS}/{first}/webhook_subscriptions/{made['id']}"
    paused = api.patch(path, {"active": False}, subdomain=sandbox.subdomain)
    assert paused.status_code == 200 and paused.get_json()["data"]["active"] is False
    assert api.patch(path, {"new_endpoint_id": theirs}).status_code == 404
    moved = api.patch(path, {"new_endpoint_id": second})
    assert moved.get_json()["data"]["webhook_endpoint_id"] == second
    assert api.patch(path, {"active": True}).status_code == 404  # the old path is gone
    new_path = f"{HOOKS}/{second}/webhook_subscriptions/{made['id']}"
    assert (
        api.patch(new_path, {"active": True}, subdomain=other_sandbox.subdomain).status_code == 403
    )
    assert delete(api, new_path).status_code == 204
    assert api.get(f"{HOOKS}/{second}/webhook_subscriptions").get_json()["data"] == []


def test_a_sandbox_booking_made_through_the_api_reaches_the_subscribed_endpoint(
    api, sandbox, receiver
):
    endpoint = create_endpoint(api, receiver.url)
    receiver.secret = endpoint["secret_key"]
    for event, resource in (
        ("appointment_insertion", "Appointment"),
        ("patient_created", "Patient"),
        ("appointment_updated", "Appointment"),
    ):
        subscribe(
            api,
            endpoint["id"],
            {"resource_type": resource, "event": event},
            subdomain=sandbox.subdomain,
        )
    provider = first_provider(sandbox.location_id)
    patient = api.post("/patients", new_patient_body(provider), **sandbox.at_location)
    patient_id = patient.get_json()["data"]["user"]["id"]
    booked = api.post(
        "/appointments",
        {
            "appt": {
                "patient_id": patient_id,
                "provider_id": provider,
                "start_time": "2031-01-07T15:00:00Z",
            }
        },
        **sandbox.at_location,
    )
    assert booked.status_code == 201, booked.get_json()
    appointment_id = booked.get_json()["data"]["appt"]["id"]
    confirmed = api.patch(
        f"/appointments/{appointment_id}",
        {"appt": {"confirmed": True}},
        subdomain=sandbox.subdomain,
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    deliver()
    messages = receiver.messages()
    assert [m["event_name"] for m in messages] == [
        "patient_created",
        "appointment_insertion.complete",
        "appointment_updated",
    ]
    assert messages[2]["data"]["appointment"]["confirmed"] is True
    assert all(r.signature_ok for r in receiver.received)
    assert messages[0]["data"]["patient"]["id"] == patient_id
    assert messages[1]["data"]["appointment"]["id"] == appointment_id
    assert messages[1]["data"]["appointment"] == booked.get_json()["data"]["appt"]


def test_endpoints_answer_in_production_too(client):
    admin = upgraded("Delta Apps", "dora@delta.example")
    key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin)
    production = Api(client, bearer_token(client, key.raw))
    created = create_endpoint(production)
    row = db.session.get(WebhookEndpoint, created["id"])
    assert row.mode is Mode.PRODUCTION and row.organization_id == admin.organization_id
    made = subscribe(
        production, created["id"], {"resource_type": "Onboarding", "event": "onboarding_created"}
    )
    assert made.status_code == 201
    assert made.get_json()["data"]["institution_id"] is None
    path = f"{HOOKS}/{created['id']}/webhook_subscriptions"
    listed = production.get(path, resource_type="Onboarding").get_json()["data"]
    assert [s["event"] for s in listed] == ["onboarding_created"]


def test_a_sandbox_endpoint_cannot_wait_for_production_only_onboarding_events(api):
    created = create_endpoint(api)  # `api` holds a sandbox key
    refused = subscribe(
        api, created["id"], {"resource_type": "Onboarding", "event": "onboarding_updated"}
    )
    assert refused.status_code == 400
    assert "production only" in refused.get_json()["error"][0]
    assert api.get(f"{HOOKS}/{created['id']}/webhook_subscriptions").get_json()["data"] == []
