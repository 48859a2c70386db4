"""The one HTTP edge for machine clients: /api, /synchronizer/v1 and unknown URLs under
both answer the same envelope for the same error, and bodies nested too deeply are refused
with a message rather than a server error."""

import pytest

from portal.services.syncs import keys, setup
from tests.onboarding import institution, upgraded

V1 = "/synchronizer/v1"
ENVELOPE = {"code", "description", "error", "data"}


def refusal(response, status: int) -> dict:
    """The body of a refusal, checked against the one shape every refusal has."""
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/json"
    assert set(body) == ENVELOPE
    assert body["code"] is False and body["data"] is None
    # As NexHealth's errors page: the precise message first in `error`, no generic description.
    assert body["description"] is None
    assert len(body["error"]) == 1 and body["error"][0]
    return body


def same_refusal(first, second, status: int) -> None:
    one, other = refusal(first, status), refusal(second, status)
    assert one["description"] == other["description"]


@pytest.fixture
def product_key(client):
    user = upgraded("Alpha Apps", "alice@alpha.example")
    sync = setup.create_sync(institution(user), ehr="dentrix", server_name="FD", actor=user)
    return keys.product_key(sync)


def test_an_unknown_url_answers_the_same_404_under_both_prefixes(client):
    same_refusal(client.get("/api/no-such-thing"), client.get(f"{V1}/no-such-thing"), 404)


def test_a_service_404_reads_like_an_unknown_url(api, client):
    missing_patient = api.get("/patients/999999", subdomain="alpha-apps-demo")
    unknown_key = client.post(f"{V1}/activate", json={"product_key": "AAAAA-BBBBB"})
    unknown_url = client.get("/api/no-such-thing")
    same_refusal(missing_patient, unknown_key, 404)
    same_refusal(missing_patient, unknown_url, 404)


def test_a_wrong_method_answers_the_same_405_under_both_prefixes(client):
    api_answer = client.delete("/api/authenticates")
    agent_answer = client.get(f"{V1}/heartbeat")
    same_refusal(api_answer, agent_answer, 405)
    assert api_answer.headers["Allow"] and agent_answer.headers["Allow"]


def test_a_missing_or_bad_bearer_token_answers_the_same_401_under_both_prefixes(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        api_answer = client.get("/api/institutions", headers=headers)
        agent_answer = client.post(f"{V1}/heartbeat", json={}, headers=headers)
        same_refusal(api_answer, agent_answer, 401)


def test_a_body_that_is_not_a_json_object_answers_the_same_400_under_both_prefixes(
    api, client, sandbox
):
    api_answer = api.client.post(
        "/api/appointments",
        query_string=sandbox.at_location,
        data=b"[1, 2]",
        content_type="application/json",
        headers=api._headers(None),
    )
    agent_answer = client.post(f"{V1}/activate", data=b"[1, 2]", content_type="application/json")
    same_refusal(api_answer, agent_answer, 400)
    assert api_answer.get_json()["error"] == agent_answer.get_json()["error"]


def test_a_missing_field_is_named_the_same_way_under_both_prefixes(api, client, sandbox):
    api_answer = api.post("/appointments", {"appt": {}}, **sandbox.at_location)
    agent_answer = client.post(f"{V1}/activate", json={"hostname": "FD-PC"})
    same_refusal(api_answer, agent_answer, 400)
    assert api_answer.get_json()["error"] == ["appt.patient_id is required."]
    assert agent_answer.get_json()["error"] == ["product_key is required."]


def test_a_body_too_large_answers_the_same_413_under_both_prefixes(client, app):
    api_huge = b"{" + b" " * app.config["MAX_CONTENT_LENGTH"] + b"}"
    api_answer = client.post("/api/authenticates", data=api_huge, content_type="application/json")
    agent_answer = client.post(
        f"{V1}/activate", data=b"{" + b" " * 70_000 + b"}", content_type="application/json"
    )
    same_refusal(api_answer, agent_answer, 413)


def test_success_answers_have_an_empty_error_list_under_both_prefixes(client, product_key):
    agent = client.post(f"{V1}/activate", json={"product_key": product_key, "hostname": "FD"})
    assert agent.status_code == 201
    assert set(agent.get_json()) == ENVELOPE
    assert agent.get_json()["code"] is True and agent.get_json()["error"] == []


def nested(depth: int) -> bytes:
    return b'{"deep": ' + b"[" * depth + b"]" * depth + b', "name": {"a": 1}}'


@pytest.mark.parametrize("depth", [5_000, 25_000])
def test_a_deeply_nested_body_gets_400_on_activation(client, product_key, depth):
    response = client.post(f"{V1}/activate", data=nested(depth), content_type="application/json")
    assert refusal(response, 400)["error"] == ["The JSON body is nested too deeply."]


def test_a_deeply_nested_body_gets_400_on_heartbeats(client, product_key):
    activated = client.post(f"{V1}/activate", json={"product_key": product_key})
    token = activated.get_json()["data"]["agent_token"]
    response = client.post(
        f"{V1}/heartbeat",
        data=nested(25_000),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refusal(response, 400)["error"] == ["The JSON body is nested too deeply."]


def test_a_deeply_nested_body_gets_400_when_creating_a_patient(api, sandbox):
    response = api.client.post(
        "/api/patients",
        query_string=sandbox.at_location,
        data=nested(25_000),
        content_type="application/json",
        headers=api._headers(None),
    )
    assert refusal(response, 400)["error"] == ["The JSON body is nested too deeply."]
