"""The API and the Synchronizer's endpoints answer bearer tokens only: a browser's session
cookie sent along with them is neither read nor written back, and their answers do not vary
by cookie. The pages keep their sessions."""

import pytest

from portal import edge
from portal.cookie_sessions import Unsaved
from tests.api.conftest import Api, bearer_token, make_sandbox
from tests.conftest import login
from tests.synchronizer.test_protocol import activate, beat, pending, where  # noqa: F401


@pytest.fixture
def signed_in_api(client):
    sandbox = make_sandbox("Alpha Apps", "alice@alpha.example")
    assert login(client, "alice@alpha.example").status_code == 302
    return sandbox, Api(client, bearer_token(client, sandbox.raw_key))


def cookie_free(response) -> bool:
    return "Set-Cookie" not in response.headers and "Cookie" not in response.vary


def test_an_api_answer_neither_sets_nor_varies_by_the_session_cookie(signed_in_api):
    sandbox, api = signed_in_api

    listed = api.get("/patients", **sandbox.at_location)
    created = api.post("/patients", {}, **sandbox.at_location)  # refused: still no cookie

    assert listed.status_code == 200 and cookie_free(listed)
    assert created.status_code == 400 and cookie_free(created)


def test_the_browser_session_outlives_api_calls_made_beside_it(client, signed_in_api):
    sandbox, api = signed_in_api
    for _ in range(3):
        assert api.get("/institutions").status_code == 200

    assert client.get("/portal/").status_code == 200  # still signed in


def test_a_heartbeat_sent_with_a_session_cookie_answers_without_one(client, pending):  # noqa: F811
    _, _, key = pending
    assert login(client, "alice@alpha.example").status_code == 302
    token = activate(client, key).json["data"]["agent_token"]

    answer = beat(client, token, locations=where(1))

    assert answer.status_code == 200 and cookie_free(answer)


@pytest.mark.parametrize("path", ["/api/patients", "/synchronizer/v1/heartbeat"])
def test_a_valid_session_cookie_is_not_read_at_the_machine_edge(app, client, path):
    make_sandbox("Alpha Apps", "alice@alpha.example")
    assert login(client, "alice@alpha.example").status_code == 302
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and edge.serves(path)

    header = {"Cookie": f"{cookie.key}={cookie.value}"}
    with app.test_request_context(path, headers=header) as ctx:
        assert isinstance(ctx.session, Unsaved) and dict(ctx.session) == {}
    with app.test_request_context("/portal/", headers=header) as ctx:
        assert "_user_id" in ctx.session  # a page reads the same cookie
