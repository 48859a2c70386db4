"""Per-key rate limits: a 429 envelope with Retry-After, counted per API key."""

import pytest

from tests.api.conftest import Api, bearer_token


@pytest.fixture
def tight_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RECORDS_RATE_LIMIT", "3/minute")
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2/minute")
    monkeypatch.setitem(app.config, "API_AUTH_RATE_LIMIT", "2/minute")


def test_the_records_budget_runs_out_with_a_429_envelope(api, sandbox, tight_limits):
    statuses = [api.get("/patients", **sandbox.at_location).status_code for _ in range(3)]
    response = api.get("/appointments", start="2000-01-01", end="2100-01-01", **sandbox.at_location)

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    body = response.get_json()
    assert body["code"] is False and body["description"] is None
    assert body["error"][0].startswith("Rate limit exceeded")
    assert body["data"] is None


def test_limits_are_counted_per_key(client, api, sandbox, other_sandbox, tight_limits):
    for _ in range(3):
        api.get("/patients", **sandbox.at_location)
    other = Api(client, bearer_token(client, other_sandbox.raw_key))

    assert api.get("/patients", **sandbox.at_location).status_code == 429
    assert other.get("/patients", **other_sandbox.at_location).status_code == 200


def test_the_general_budget_covers_the_other_endpoints(api, tight_limits):
    assert [api.get("/institutions").status_code for _ in range(3)] == [200, 200, 429]


def test_authentication_is_limited_per_address(client, sandbox, tight_limits):
    statuses = [
        client.post("/api/authenticates", headers={"Authorization": sandbox.raw_key}).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_a_storage_lost_after_the_count_still_answers_429_with_the_window(app, monkeypatch):
    from limits import parse
    from redis.exceptions import ConnectionError as RedisConnectionError
    from werkzeug.exceptions import TooManyRequests

    from portal import edge
    from portal.extensions import limiter

    class CountedThenLost:  # the shared storage dies between the count and the reset read
        limit = parse("2/minute")

        @property
        def reset_at(self):
            raise RedisConnectionError("Error while reading: Connection reset by peer")

    monkeypatch.setattr(type(limiter), "current_limit", property(lambda _: CountedThenLost()))
    with app.test_request_context("/api/institutions"):
        refused = edge.http_error(TooManyRequests())

    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.get_json()["error"][0].startswith("Rate limit exceeded")
