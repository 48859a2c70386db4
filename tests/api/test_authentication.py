"""POST /authenticates, bearer tokens and their lifetimes, and the Nex-Api-Version header."""

from datetime import timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.models import Mode
from portal.services.accounts import api_keys
from tests.api.conftest import Api, bearer_token
from tests.conftest import login

SECOND = timedelta(seconds=1)


def test_an_api_key_is_exchanged_for_a_bearer_token(client, sandbox):
    response = client.post("/api/authenticates", headers={"Authorization": sandbox.raw_key})

    assert response.status_code == 201
    body = response.get_json()
    assert body["code"] is True
    assert body["description"] == "Authenticated"
    assert body["error"] == []
    assert body["data"]["token"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "not-a-key",
        "sp_test_" + "A" * 36,  # well-formed length, wrong checksum
        "sp_live_" + "0" * 36,
    ],
)
def test_a_missing_malformed_or_unknown_key_gets_401(client, sandbox, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.post("/api/authenticates", headers=headers)

    assert response.status_code == 401
    assert response.get_json() == {
        "code": False,
        "description": None,
        "error": ["The API key is not valid."],
        "data": None,
    }


def test_an_unknown_key_with_a_valid_checksum_gets_401(client, sandbox):
    unknown = api_keys.generate(Mode.SANDBOX)
    response = client.post("/api/authenticates", headers={"Authorization": unknown})
    assert response.status_code == 401


def test_a_rotated_out_key_stops_authenticating(client, sandbox):
    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    new = api_keys.rotate(key, actor=sandbox.admin, grace="now")

    assert (
        client.post("/api/authenticates", headers={"Authorization": sandbox.raw_key}).status_code
        == 401
    )
    assert client.post("/api/authenticates", headers={"Authorization": new.raw}).status_code == 201


def test_a_token_dies_when_its_key_is_rotated_out(client, sandbox):
    api = Api(client, bearer_token(client, sandbox.raw_key))
    assert api.get("/institutions").status_code == 200

    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    api_keys.rotate(key, actor=sandbox.admin, grace="now")

    response = api.get("/institutions")
    assert response.status_code == 401
    assert response.get_json()["data"] is None


def test_a_token_lives_through_the_grace_period_of_its_rotated_key_and_no_longer(client, sandbox):
    api = Api(client, bearer_token(client, sandbox.raw_key))
    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    api_keys.rotate(key, actor=sandbox.admin, grace="1h")

    with clock.travel(timedelta(minutes=59)):
        assert api.get("/institutions").status_code == 200
    with clock.travel(timedelta(hours=1) + SECOND):
        assert api.get("/institutions").status_code == 401


def test_a_sandbox_token_expires_after_24_hours(client, sandbox):
    api = Api(client, bearer_token(client, sandbox.raw_key))

    with clock.travel(timedelta(hours=24) - timedelta(minutes=1)):
        assert api.get("/institutions").status_code == 200
    with clock.travel(timedelta(hours=24) + SECOND):
        response = api.get("/institutions")
    assert response.status_code == 401
    assert response.get_json()["error"] == ["The bearer token is not valid or has expired."]


def test_a_production_token_expires_after_one_hour(client, sandbox):
    sandbox.organization.production_enabled = True
    db.session.commit()
    production = api_keys.create(sandbox.organization, Mode.PRODUCTION, actor=sandbox.admin)
    api = Api(client, bearer_token(client, production.raw))

    with clock.travel(timedelta(minutes=59)):
        assert api.get("/institutions").status_code == 200
    with clock.travel(timedelta(hours=1) + SECOND):
        assert api.get("/institutions").status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Token abc", "Bearer eyJrIjoxfQ.forged-signature"],
)
def test_calls_without_a_genuine_bearer_token_get_401(client, sandbox, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/institutions", headers=headers)

    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] is False and body["data"] is None


def test_a_raw_api_key_is_not_a_bearer_token(client, sandbox):
    response = client.get(
        "/api/institutions", headers={"Authorization": f"Bearer {sandbox.raw_key}"}
    )
    assert response.status_code == 401


def test_a_signed_in_session_alone_does_not_reach_the_api(client, sandbox):
    login(client, "alice@alpha.example")
    assert client.get("/portal/").status_code == 200

    response = client.get("/api/patients", query_string=sandbox.at_location)

    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize("version", ["v3.0.0", "v20240412", None])
def test_known_api_versions_and_no_version_are_served(api, version):
    headers = {"Nex-Api-Version": version} if version else {}
    assert api.get("/institutions", headers=headers).status_code == 200


def test_an_unknown_api_version_gets_400_naming_the_header(api):
    response = api.get("/institutions", headers={"Nex-Api-Version": "v1"})

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith("Nex-Api-Version ")


def test_a_token_accepted_once_is_refused_when_the_secret_key_changes(app, client, sandbox):
    # A token's verdict is held per process; it must be held per SECRET_KEY too.
    api = Api(client, bearer_token(client, sandbox.raw_key))
    assert api.get("/institutions").status_code == 200

    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another secret key of enough length"
    try:
        assert api.get("/institutions").status_code == 401
    finally:
        app.config["SECRET_KEY"] = saved
    assert api.get("/institutions").status_code == 200


def test_a_token_longer_than_any_issued_is_refused(client, sandbox):
    token = bearer_token(client, sandbox.raw_key)
    padded = Api(client, token + "A" * 300)
    assert padded.get("/institutions").status_code == 401
