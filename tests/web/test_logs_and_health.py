"""Operations: JSON logs with request ids that never carry a secret or a health record, the
health checks, and the client's real address behind a trusted proxy."""

import json
import logging
import re

import pytest
from sqlalchemy import select

from portal import create_app, worker
from portal.extensions import db
from portal.observability import JsonFormatter
from portal.records import Patient
from tests.api.conftest import bearer_token, first_provider, make_sandbox, new_patient_body
from tests.conftest import PASSWORD, csrf_token, login


class Captured(logging.Handler):
    """Every log line as it is written (formatted while the request is still open)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs():
    handler = Captured()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.lines
    root.removeHandler(handler)


def form(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_a_full_portal_and_api_run_logs_json_lines_without_any_secret(client, logs, mailbox):
    secrets = [PASSWORD, "Wrong-password-123"]
    # The portal: sign-up, a wrong and a right sign-in, an invitation accepted, a reset.
    form(client, "/signup", organization_name="Logged Apps", name="Lou", email="lou@logged.example",
         password=PASSWORD)  # fmt: skip
    login(client, "lou@logged.example", "Wrong-password-123")
    login(client, "lou@logged.example")
    form(client, "/portal/users/invite/", email="ivy@logged.example")
    keys_page = "/portal/api-key/"
    created = client.post(f"{keys_page}create", data={"csrf_token": csrf_token(client, keys_page)})
    secrets.append(re.search(r"sp_test_[0-9A-Za-z]{36}", created.get_data(as_text=True))[0])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    invitation = mailbox.bodies_to("ivy@logged.example")[0].split("/invitations/")[1].split()[0]
    secrets.append(invitation)
    accepted = form(client, f"/invitations/{invitation}", name="Ivy", password=PASSWORD)
    assert accepted.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    form(client, "/forgot-password", email="lou@logged.example")
    reset = mailbox.bodies_to("lou@logged.example")[-1].split("/reset-password/")[1].split()[0]
    secrets.append(reset)
    form(client, f"/reset-password/{reset}", password="A-new-password-42",
         confirm="A-new-password-42")  # fmt: skip
    secrets.append("A-new-password-42")

    # The API: a key, its token, health records read and written.
    sandbox = make_sandbox("Api Logged", "api@logged.example")
    token = bearer_token(client, sandbox.raw_key)
    secrets += [sandbox.raw_key, token]
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/patients", query_string=sandbox.at_location, headers=headers)
    body = new_patient_body(first_provider(sandbox.location_id), first_name="Zebulon",
                            last_name="Quixoteworth")  # fmt: skip
    client.post("/api/patients", json=body, query_string=sandbox.at_location, headers=headers)
    client.get("/api/patients", query_string={**sandbox.at_location, "name": "Quixoteworth"},
               headers=headers)  # fmt: skip
    names = [n for p in db.session.scalars(select(Patient)) for n in (p.first_name, p.last_name)]
    assert "Quixoteworth" in names
    worker.run_until_idle()

    requests = [json.loads(line) for line in logs if '"portal.requests"' in line]
    assert len(requests) > 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) for r in requests)
    assert {"method", "path", "status", "duration_ms", "organization_id"} <= set(requests[0])
    assert any(r["path"] == "/reset-password/<token>" for r in requests)
    assert any(r["path"] == "/invitations/<token>" for r in requests)
    assert any(r["organization_id"] for r in requests if r["path"].startswith("/api/"))
    text = "\n".join(logs)
    for secret in secrets + [n for n in names if len(n) > 3]:
        assert secret not in text, secret


def test_a_request_id_is_returned_and_a_given_one_is_kept(client, logs):
    given = client.get("/healthz", headers={"X-Request-ID": "edge-42.a"})
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["X-Request-ID"] == "edge-42.a"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    logged = [json.loads(line) for line in logs if '"portal.requests"' in line]
    assert [r["request_id"] for r in logged] == ["edge-42.a", made.headers["X-Request-ID"]]


def test_healthz_and_readyz_answer_for_the_load_balancer(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {
        "database": "ok",
        "rate_limits": "in process (memory://)",
    }


def test_readyz_is_unavailable_when_the_database_cannot_be_reached(tmp_path):
    unreachable = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such.db")
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"


@pytest.fixture
def behind_one_proxy(app):
    proxied = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         TRUSTED_PROXY_COUNT=1)  # fmt: skip
    return proxied.test_client()


def test_behind_a_proxy_failed_sign_ins_from_many_clients_do_not_lock_out_another(
    app, behind_one_proxy, logs
):
    from tests.conftest import signup

    signup("Victim Co", "victim@victim.example")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    client = behind_one_proxy
    token = csrf_token(client, "/login")
    for i in range(limit):
        client.post("/login", data={"csrf_token": token, "email": f"x{i}@nobody.example",
                                    "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"203.0.113.{i % 250}"})  # fmt: skip
    right = client.post(
        "/login",
        data={"csrf_token": token, "email": "victim@victim.example", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert right.status_code == 302  # signed in: the other clients' failures were theirs
    # A client cannot pick its address: only the proxy's own entry (the last) is believed.
    client.get("/healthz", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.8"})
    last = json.loads([line for line in logs if '"portal.requests"' in line][-1])
    assert last["remote_addr"] == "198.51.100.8"
