import pytest

from portal import security
from portal.services.accounts import users
from tests.conftest import PASSWORD, login, signup


@pytest.fixture
def people():
    admin = signup("Access Co", "admin@access.example")
    users.add_member(admin.organization, "member@access.example", "Mem", PASSWORD)
    users.create_staff("staff@ops.example", PASSWORD)


@pytest.mark.parametrize(
    "who, path, expected",
    [
        (None, "/login", 200),
        (None, "/portal/", 302),
        (None, "/ops/", 302),
        (None, "/ops/organizations/", 302),
        ("member@access.example", "/portal/", 200),
        ("member@access.example", "/portal/institutions/", 200),
        ("member@access.example", "/portal/audit/", 403),
        ("member@access.example", "/ops/", 403),
        ("member@access.example", "/ops/organizations/", 403),
        ("admin@access.example", "/portal/audit/", 200),
        ("admin@access.example", "/ops/", 403),
        ("staff@ops.example", "/ops/", 200),
        ("staff@ops.example", "/ops/outbox/", 200),
        ("staff@ops.example", "/portal/", 403),
    ],
)
def test_each_console_answers_as_expected(client, people, who, path, expected):
    if who:
        assert login(client, who).status_code == 302
    response = client.get(path)
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]


def test_staff_sign_in_lands_on_the_ops_home_with_queue_sizes(client, people):
    response = login(client, "staff@ops.example")
    assert response.headers["Location"].endswith("/ops/")
    page = client.get("/ops/").get_data(as_text=True)
    assert "Upgrade requests" in page and "Emails not delivered" in page


def test_security_headers_are_on_every_page(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: not ours to pin


def test_https_answers_ask_browsers_to_stay_on_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers.getlist("Content-Security-Policy") == [security.CSP]  # once


def test_posts_without_a_csrf_token_are_refused(client):
    response = client.post("/login", data={"email": "x@y.example", "password": "whatever"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)


def test_oversized_requests_are_refused(client):
    response = client.post("/login", data={"email": "x" * (7 * 1024 * 1024)})
    assert response.status_code == 413


def test_production_mode_stays_closed_before_the_upgrade(client, people):
    from tests.conftest import csrf_token

    login(client, "admin@access.example")
    token = csrf_token(client, "/portal/")
    response = client.post(
        "/portal/mode", data={"csrf_token": token, "mode": "production"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "opens once your organization" in page and "test mode" in page
