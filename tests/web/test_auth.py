from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent
from portal.services.accounts import users
from tests.conftest import PASSWORD, csrf_token, login, signup


def logout(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})


def test_signup_page_creates_the_account_and_sends_the_developer_to_sign_in(client):
    token = csrf_token(client, "/signup")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "organization_name": "Web Signup Co",
            "name": "Wes",
            "email": "wes@web.example",
            "password": PASSWORD,
        },
    )
    assert (response.status_code, response.location) == (302, "/login")
    login(client, "wes@web.example")
    page = client.get("/portal/").get_data(as_text=True)
    assert "Web Signup Co Demo Practice" in page and "web-signup-co-demo" in page


def test_signup_form_names_each_bad_field(client):
    token = csrf_token(client, "/signup")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "organization_name": "",
            "name": "x",
            "email": "nope",
            "password": "short",
        },
    )
    page = response.get_data(as_text=True)
    assert "Enter the organization name." in page
    assert "Enter an email address such as name@company.com." in page
    assert "Use at least 10 characters." in page


def test_a_copied_session_cookie_stops_working_after_logout(app, client):
    signup("Copy Co", "c@copy.example")
    login(client, "c@copy.example")
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/portal/").status_code == 200

    assert logout(client).status_code == 302
    assert client.get("/portal/").status_code == 302
    response = thief.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_is_a_post_with_a_csrf_token(client):
    signup("Post Co", "p@post.example")
    login(client, "p@post.example")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/portal/").status_code == 200


def test_twenty_wrong_passwords_are_throttled_and_the_right_one_works_after_the_window(client):
    signup("Throttle Co", "t@throttle.example")
    codes = [login(client, "t@throttle.example", "wrong password!").status_code for _ in range(20)]
    assert codes[0] == 401 and codes[-1] == 429
    locked = login(client, "t@throttle.example")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)
    with clock.travel(timedelta(minutes=6)):
        response = login(client, "t@throttle.example")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")


def test_a_throttled_sign_in_is_audited_as_a_refusal_with_what_was_throttled(client):
    signup("Flood Co", "f@flood.example")
    for _ in range(10):
        login(client, "f@flood.example", "wrong password!")
    assert login(client, "f@flood.example").status_code == 429
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "denied.throttled")
    ).all()
    assert len(rows) == 1  # once per request, however many keys are over their limit
    assert rows[0].details["throttled"] == "account" and rows[0].details["page"] == "POST /login"


def test_failures_from_one_address_across_accounts_are_throttled(app, client):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 5
    try:
        signup("Spray Co", "victim@spray.example")
        for i in range(5):
            login(client, f"guess{i}@spray.example", "wrong password!", address="203.0.113.9")
        assert login(client, "victim@spray.example", address="203.0.113.9").status_code == 429
        assert login(client, "victim@spray.example", address="198.51.100.1").status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 50


def test_login_redirects_only_to_local_next_urls(client):
    signup("Next Co", "n@next.example")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": token, "email": "n@next.example", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/portal/"


def test_password_reset_through_the_pages(app, client, mailbox):
    signup("Reset Co", "r@reset.example")
    token = csrf_token(client, "/forgot-password")
    client.post("/forgot-password", data={"csrf_token": token, "email": "r@reset.example"})
    body = mailbox.bodies_to("r@reset.example")[0]
    link = body.split(app.config["BASE_URL"])[1].split()[0]
    form = csrf_token(client, link)
    response = client.post(
        link,
        data={"csrf_token": form, "password": "new password 123", "confirm": "new password 123"},
    )
    assert response.status_code == 302
    assert client.get(link).status_code == 404  # single use
    assert login(client, "r@reset.example", "new password 123").status_code == 302


def test_deleted_users_session_ends(app, client):
    user = signup("Gone Co", "g@gone.example")
    login(client, "g@gone.example")
    users.logout(user)  # another device signs out: every session ends
    assert client.get("/portal/").status_code == 302
