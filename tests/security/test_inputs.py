"""The input layer: a NUL character or an unpaired surrogate is refused with a 400 naming the
field in every part of every request (query string, form field, JSON body, agent protocol),
before anything is stored; PostgreSQL would answer 500, SQLite would store it."""

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Organization, Sync, User
from portal.services.accounts import users
from portal.services.syncs import keys, setup
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import institution, upgraded

BAD_TEXTS = {"nul": "a\x00b", "surrogate": "a\ud800b"}


def _routes():
    """Every route of the app with its path filled in, and the methods it answers."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):
            continue
        values = {}
        for name, converter in rule._converters.items():
            choices = getattr(converter, "items", None)
            values[name] = sorted(choices)[0] if choices else "1"
        path = rule.build(values, append_unknown=False)[1]
        yield path, sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_a_nul_in_the_query_string_of_any_route_is_a_400(client):
    refused = {
        path: client.get(path, query_string={"q": "a\x00b"}).status_code
        for path, methods in _routes()
        if "GET" in methods
    }
    assert len(refused) > 100
    assert {path: code for path, code in refused.items() if code != 400} == {}


@pytest.mark.parametrize("kind", BAD_TEXTS)
def test_a_bad_form_field_or_json_string_on_any_post_route_is_a_400(client, kind):
    token = csrf_token(client, "/login")
    answers = {}
    for path, methods in _routes():
        for method in set(methods) & {"POST", "PATCH"}:
            form = client.open(path, method=method, data={"csrf_token": token, "x": "a\x00b"})
            body = client.open(
                path, method=method, json={"csrf_token": token, "x": [BAD_TEXTS[kind]]}
            )
            answers[f"{method} {path}"] = (form.status_code, body.status_code)
    assert len(answers) > 40
    assert {route: codes for route, codes in answers.items() if codes != (400, 400)} == {}


def test_the_refusal_names_the_field_and_the_json_path(client):
    page = client.get("/signup", query_string={"next": "x\x00"})
    assert page.status_code == 400
    assert "The field &#39;next&#39; contains a NUL character" in page.get_data(as_text=True)
    answer = client.post(
        "/synchronizer/v1/heartbeat", json={"locations": [{"foreign_id": "1", "name": "\ud800"}]}
    )
    assert answer.status_code == 400
    assert answer.json["error"] == [
        "The JSON value at '$.locations[0].name' contains an unpaired surrogate (text that is "
        "not valid Unicode), which text cannot hold. Remove it and retry."
    ]


def test_a_nul_in_a_sign_up_name_creates_nothing(client):
    token = csrf_token(client, "/signup")
    for field in ("organization_name", "name"):
        data = {
            "csrf_token": token,
            "organization_name": "Nul Co",
            "name": "Nina",
            "email": "nina@nul.example",
            "password": PASSWORD,
        }
        response = client.post("/signup", data=data | {field: "Nul\x00Co"})
        assert response.status_code == 400
    assert db.session.scalar(select(func.count(Organization.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_nul_in_the_sign_in_email_is_refused_before_the_throttle_looks_it_up(client):
    users.signup(
        organization_name="Real Co",
        name="Rae",
        email_address="rae@real.example",
        password=PASSWORD,
        welcome=False,
    )
    response = login(client, "rae@real.example\x00")
    assert response.status_code == 400
    assert login(client, "rae@real.example").status_code == 302


@pytest.mark.parametrize("kind", BAD_TEXTS)
def test_the_agent_cannot_store_bad_text_in_its_hostname_or_locations(client, kind):
    user = upgraded("Alpha Apps", "alice@alpha.example")
    sync = setup.create_sync(institution(user), ehr="dentrix", server_name="FD", actor=user)
    key, bad = keys.product_key(sync), BAD_TEXTS[kind]
    refused = client.post(
        "/synchronizer/v1/activate", json={"product_key": key, "hostname": f"PC{bad}"}
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Sync, sync.id).agent_token_digest is None
    token = client.post("/synchronizer/v1/activate", json={"product_key": key}).json["data"][
        "agent_token"
    ]
    beat = client.post(
        "/synchronizer/v1/heartbeat",
        json={"locations": [{"foreign_id": "1", "name": f"Office{bad}"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    failure = client.post(
        "/synchronizer/v1/failures",
        json={"code": "E1", "message": f"disk{bad}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (beat.status_code, failure.status_code) == (400, 400)
    db.session.expire_all()
    assert db.session.get(Sync, sync.id).failure_reason == ""


def test_deeply_nested_json_is_a_400_not_a_crash(client):
    nested = "[" * 60_000 + "]" * 60_000
    response = client.post(
        "/synchronizer/v1/heartbeat", data=nested, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"] == ["The JSON body is nested too deeply."]


def _raw_json(client, body: bytes):
    return client.post("/synchronizer/v1/heartbeat", data=body, content_type="application/json")


def test_a_surrogate_sent_as_raw_utf8_bytes_is_refused_however_big_the_body(client):
    filler = b'"' + b"x" * 100_000 + b'"'
    body = (
        b'{"filler": ' + filler + b', "locations": [{"foreign_id": "1", "name": "a\xed\xa0\x80"}]}'
    )
    answer = _raw_json(client, body)
    assert answer.status_code == 400
    assert answer.json["error"][0].startswith(
        "The JSON value at '$.locations[0].name' contains an unpaired surrogate"
    )


@pytest.mark.parametrize("separator", ["\u2028", "\x85", "\\n", "\\t"])
def test_a_name_in_a_json_body_with_a_line_break_not_written_as_a_u_escape_is_refused(
    client, separator
):
    # Written as the character itself (UTF-8) or as a short escape: no `\u` in the body.
    body = '{"locations": [{"foreign_id": "1", "name": "Office' + separator + 'B"}]}'
    answer = _raw_json(client, body.encode())
    assert answer.status_code == 400
    assert "The field 'name' must be one line of text" in answer.json["error"][0]
