"""The patients list checks the bearer token's key inside its page statement
(`key_in_statement`): the same answers as every other operation, whatever stops the key.

A key that no longer works is refused (401) before anything else is said: a mistake in the
query, another organization's practice, a rate limit. A page that comes back empty is asked
why, so an empty list is only ever the truth."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, ApiRequest, Mode
from portal.records import Patient
from portal.services import request_log
from portal.services.accounts import api_keys, api_tokens
from tests.api.conftest import Api, bearer_token
from tests.conftest import signup

STOPPED = "The API key behind this bearer token no longer works."
# Every way a key stops answers the same on both kinds of operation.
PATHS = [
    pytest.param("/patients", id="key checked in the statement"),
    pytest.param("/institutions", id="key checked before the view"),
]


def _get(api, path, sandbox, **query):
    return api.get(path, **(sandbox.at_location if path == "/patients" else {}), **query)


def _rotate_out(sandbox, grace="now"):
    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    return api_keys.rotate(key, actor=sandbox.admin, grace=grace)


@pytest.mark.parametrize("path", PATHS)
def test_a_token_dies_with_its_rotated_out_key_on_the_next_request(api, sandbox, path):
    assert _get(api, path, sandbox).status_code == 200
    _rotate_out(sandbox)

    response = _get(api, path, sandbox)
    assert response.status_code == 401
    assert response.get_json() == {
        "code": False,
        "description": None,
        "error": [STOPPED],
        "data": None,
    }


@pytest.mark.parametrize("path", PATHS)
def test_a_token_lives_through_its_keys_grace_period_and_no_longer(api, sandbox, path):
    _rotate_out(sandbox, grace="1h")

    with clock.travel(timedelta(minutes=59)):
        assert _get(api, path, sandbox).status_code == 200
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert _get(api, path, sandbox).status_code == 401


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "changed", ["created_at", "prefix", "last_four", "organization_id", "mode"]
)
def test_a_token_naming_another_key_than_the_one_with_its_id_is_refused(
    api, sandbox, path, changed
):
    # A database rebuilt from scratch may give a new key the id of an old token's key.
    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    other = {
        "created_at": key.created_at + timedelta(seconds=1),
        "prefix": "sp_test_zzzz",
        "last_four": "zzzz",
        "organization_id": signup("Gamma Health", "gia@gamma.example").organization_id,
        "mode": Mode.PRODUCTION,
    }[changed]
    db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values({changed: other}))
    db.session.commit()

    response = _get(api, path, sandbox)
    assert response.status_code == 401
    assert response.get_json()["error"] == [STOPPED]


@pytest.mark.parametrize("path", PATHS)
def test_a_token_issued_before_it_named_its_keys_values_still_works(client, sandbox, path):
    # Tokens live up to a day: those issued before a deployment name only the key's id.
    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    claims = {"k": key.id, "c": int(key.created_at.timestamp())}
    claims["e"] = int((clock.now() + timedelta(hours=1)).timestamp())
    with client.application.app_context():
        token = api_tokens._serializer().dumps(claims)
    api = Api(client, token)

    answer = _get(api, path, sandbox)
    assert answer.status_code == 200 and answer.get_json()["data"]
    _rotate_out(sandbox)
    assert _get(api, path, sandbox).status_code == 401


def test_a_stopped_key_is_named_before_a_mistake_or_another_practice(api, sandbox, other_sandbox):
    _rotate_out(sandbox)

    asked = [
        api.get("/patients", sort="shoe_size", **sandbox.at_location),
        api.get("/patients", end_cursor="not-ours", **sandbox.at_location),
        api.get("/patients", **other_sandbox.at_location),
        api.get("/patients", subdomain=sandbox.subdomain, location_id=2**31 - 1),
        api.get("/patients", name="nobody-is-called-this", **sandbox.at_location),
    ]
    assert [r.status_code for r in asked] == [401] * len(asked)
    assert all(r.get_json()["error"] == [STOPPED] for r in asked)


def test_another_practice_is_refused_before_a_mistake_is_named(api, other_sandbox):
    for mistake in ({"sort": "shoe_size"}, {"end_cursor": "not-ours"}):
        response = api.get("/patients", **mistake, **other_sandbox.at_location)
        assert response.status_code == 403
        assert response.get_json()["error"] == ["You do not have access to this institution."]


def test_a_working_key_with_nothing_to_list_gets_an_empty_page(api, sandbox):
    response = api.get("/patients", name="nobody-is-called-this", **sandbox.at_location)

    assert response.status_code == 200
    assert response.get_json()["data"] == []


def test_a_stopped_key_is_refused_before_its_rate_limit(app, client, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "API_RECORDS_RATE_LIMIT", "1/minute")
    api = Api(client, bearer_token(client, sandbox.raw_key))
    assert api.get("/patients", **sandbox.at_location).status_code == 200
    assert api.get("/patients", **sandbox.at_location).status_code == 429
    _rotate_out(sandbox)

    assert api.get("/patients", **sandbox.at_location).status_code == 401


def test_the_call_is_logged_with_the_key_its_statement_checked(api, sandbox, other_sandbox):
    answers = [
        api.get("/patients", per_page=3, **sandbox.at_location),
        api.get("/patients", sort="shoe_size", **sandbox.at_location),
        api.get("/patients", name="nobody-is-called-this", **sandbox.at_location),
        api.get("/patients", **other_sandbox.at_location),
        api.get("/patients", subdomain=sandbox.subdomain, location_id=2**31 - 1),
    ]
    request_log.flush()

    key = api_keys.current_key(sandbox.organization, Mode.SANDBOX)
    logged = db.session.scalars(db.select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [a.status_code for a in answers] == [200, 400, 200, 403, 404]
    assert [(r.status, r.key_prefix, r.organization_id) for r in logged] == [
        (status, key.prefix, sandbox.organization.id) for status in (200, 400, 200, 403, 404)
    ]


def test_a_production_token_is_refused_the_sandbox_practice_before_a_mistake(client, sandbox):
    sandbox.organization.production_enabled = True
    db.session.commit()
    production = api_keys.create(sandbox.organization, Mode.PRODUCTION, actor=sandbox.admin)
    api = Api(client, bearer_token(client, production.raw))

    refused = api.get("/patients", **sandbox.at_location)  # the sandbox practice
    assert refused.status_code == 403
    assert api.get("/patients", sort="shoe_size", **sandbox.at_location).status_code == 403


def test_the_page_reads_only_the_callers_location(api, sandbox, other_sandbox):
    body = api.get("/patients", per_page=1000, **sandbox.at_location).get_json()

    listed = {patient["id"] for patient in body["data"]}
    theirs = db.session.scalars(
        db.select(Patient.id).where(Patient.location_id == sandbox.location_id)
    ).all()
    assert listed == set(theirs) and listed
