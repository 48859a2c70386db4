"""The request log: a call made with a key shows on the organization's Requests page within
seconds, written off the request path; no key, token, body or patient value is stored; the
worker forgets calls after 30 days; a database that is away, or an organization deleted
meanwhile, loses no other call."""

import re
import time
from datetime import timedelta

import pytest
from flask import Response
from sqlalchemy import create_engine, delete, func, select

from portal import clock
from portal.extensions import db
from portal.models import ApiRequest, Mode
from portal.services import request_log
from portal.services.records.api_access import Caller
from tests.api.conftest import bearer_token, first_provider, new_patient_body
from tests.conftest import csrf_token, login

SECRET_NAME = "Zebediah"


@pytest.fixture(autouse=True)
def empty_log():
    """Calls of earlier tests still in this process's buffer are written and removed first."""
    request_log.flush()
    db.session.execute(delete(ApiRequest))
    db.session.commit()


def logged_rows(at_least: int, seconds: float = 20) -> list[ApiRequest]:
    """Wait for the background writer (about every second) to store `at_least` calls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.scalar(select(func.count(ApiRequest.id))) >= at_least:
            return db.session.scalars(select(ApiRequest).order_by(ApiRequest.id)).all()
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} calls were logged within {seconds} s")


def test_a_call_with_a_key_shows_on_the_requests_page_within_seconds(client, api, sandbox):
    answer = api.get("/patients", **sandbox.at_location, per_page=5)
    assert answer.status_code == 200
    [row] = logged_rows(1)
    assert (row.method, row.path, row.status) == ("GET", "/api/patients", 200)
    assert row.subdomain == sandbox.subdomain and row.mode is Mode.SANDBOX
    assert row.request_id == answer.headers["X-Request-ID"] and row.duration_ms >= 0
    assert sandbox.raw_key.startswith(row.key_prefix)
    browser = client.application.test_client()
    login(browser, "alice@alpha.example")
    page = browser.get("/portal/requests/").get_data(as_text=True)
    assert "GET /api/patients" in page
    details = browser.get(f"/portal/requests/{row.id}/").get_data(as_text=True)
    assert row.request_id in details and "per_page=5" in details


def test_no_key_token_body_or_patient_value_is_stored(client, api, sandbox):
    token = bearer_token(client, sandbox.raw_key)
    provider = first_provider(sandbox.location_id)
    body = new_patient_body(provider, first_name=SECRET_NAME, email="zeb@secret.example")
    api.post("/patients", body, **sandbox.at_location)
    api.get("/patients", **sandbox.at_location, name=SECRET_NAME, email="zeb@secret.example")
    api.get("/patients", subdomain=sandbox.subdomain, token=token, api_key=sandbox.raw_key)
    api.post("/patients", {"patient": {"first_name": SECRET_NAME}}, **sandbox.at_location)
    rows = logged_rows(4)
    stored = " ".join(
        str(getattr(row, column.name)) for row in rows for column in ApiRequest.__table__.columns
    )
    for secret in (sandbox.raw_key, token, SECRET_NAME, "zeb@secret.example", "secret.example"):
        assert secret not in stored, secret
    assert "name=%E2%80%A6" in stored  # the parameter is named, its value is not
    assert any(row.status == 400 and row.error for row in rows)  # refusals keep their message


def test_filters_find_calls_by_status_class_path_and_request_id(client, api, sandbox):
    api.get("/patients", **sandbox.at_location)
    api.get("/providers", **sandbox.at_location, bogus="1")
    rows = logged_rows(2)
    refused = [r for r in rows if r.status >= 400]
    assert [r.path for r in refused] == ["/api/providers"]
    org, mode = sandbox.organization, Mode.SANDBOX
    assert request_log.for_organization(org, mode, status_class="4xx") == refused
    assert [r.path for r in request_log.for_organization(org, mode, path="patients")] == [
        "/api/patients"
    ]
    found = request_log.for_organization(org, mode, request_id=rows[0].request_id)
    assert found == [rows[0]]
    assert request_log.for_organization(org, Mode.PRODUCTION) == []  # each mode its own log


def test_another_organization_sees_none_of_the_calls(client, api, sandbox, other_sandbox):
    api.get("/patients", **sandbox.at_location)
    [row] = logged_rows(1)
    browser = client.application.test_client()
    login(browser, "bob@beta.example")
    assert browser.get(f"/portal/requests/{row.id}/").status_code == 404
    assert "/api/patients" not in browser.get("/portal/requests/").get_data(as_text=True)
    assert csrf_token(browser, "/portal/")  # signed in all along


def test_the_worker_forgets_calls_after_30_days(api, sandbox):
    api.get("/patients", **sandbox.at_location)
    logged_rows(1)
    with clock.travel(timedelta(days=29)):
        assert request_log.forget_old() == 0
    with clock.travel(timedelta(days=31)):
        assert request_log.forget_old() == 1
    assert db.session.scalar(select(func.count(ApiRequest.id))) == 0


def test_calls_noted_while_the_database_is_away_are_written_when_it_is_back(
    api, sandbox, monkeypatch, tmp_path
):
    away = create_engine(f"sqlite:///{tmp_path}/no-such-directory/log.db")
    monkeypatch.setattr(request_log, "_writer", lambda: away)
    for _ in range(3):
        assert api.get("/patients", **sandbox.at_location, per_page=1).status_code == 200
    assert request_log.flush() == 0  # refused: kept, not dropped

    monkeypatch.undo()
    request_log.flush()
    rows = logged_rows(3)
    assert [(row.path, row.query.count("per_page=1")) for row in rows] == [("/api/patients", 1)] * 3


def test_a_deleted_organizations_calls_do_not_take_the_others_with_them(app, api, sandbox):
    assert api.get("/patients", **sandbox.at_location, per_page=1).status_code == 200
    gone = Caller(0, sandbox.organization.id + 1000, Mode.SANDBOX, "sp_test_", "gone")
    with app.test_request_context("/api/patients"):
        request_log.note(gone, Response(status=200))

    request_log.flush()
    written = [row.organization_id for row in logged_rows(1)]
    assert sandbox.organization.id in written
    if db.engine.dialect.name == "postgresql":  # SQLite does not enforce the foreign key
        assert written == [sandbox.organization.id]


def test_the_requests_page_filters_as_its_form_sends_them(client, api, sandbox):
    api.get("/patients", **sandbox.at_location)
    api.get("/providers", **sandbox.at_location, bogus="1")
    first, refused = logged_rows(2)
    browser = client.application.test_client()
    login(browser, "alice@alpha.example")
    page = browser.get("/portal/requests/").get_data(as_text=True)
    fields = re.findall(r'<(?:input|select)[^>]* name="([a-z_]+)"', page)
    assert set(fields) >= {"status_class", "path", "subdomain", "request_id"}
    as_sent = dict.fromkeys(fields, "")  # a browser sends every field, the empty ones too

    def listed(**chosen) -> str:
        answer = browser.get("/portal/requests/", query_string={**as_sent, **chosen})
        assert answer.status_code == 200, answer.status
        return answer.get_data(as_text=True)

    assert "GET /api/patients" in listed() and "GET /api/providers" in listed()
    only_refused = listed(status_class="4xx")
    assert "GET /api/providers" in only_refused and "GET /api/patients" not in only_refused
    by_id = listed(request_id=first.request_id)
    assert "GET /api/patients" in by_id and "GET /api/providers" not in by_id
    assert "GET /api/" not in listed(request_id="no-such-request")
