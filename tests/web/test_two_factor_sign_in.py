"""Signing in with two factors: the password alone opens nothing, a code or a recovery code
(once) does; an organization that requires it and staff set it up before anything else."""

from datetime import timedelta

import pyotp

from portal import clock
from portal.services.accounts import two_factor, users
from tests.conftest import PASSWORD, csrf_token, login, signup


def enrolled(email: str = "alice@alpha.example"):
    user = signup("Alpha Apps", email, "Alice")
    two_factor.begin(user)
    app = pyotp.TOTP(two_factor.pending_setup(user)[0])
    codes = two_factor.confirm(user, app.at(clock.now()))
    return user, app, codes


def send_code(client, code: str):
    token = csrf_token(client, "/login/code")
    return client.post("/login/code", data={"csrf_token": token, "code": code})


def later_code(app) -> str:
    with clock.travel(timedelta(seconds=30)):
        return app.at(clock.now())


def test_the_password_alone_opens_nothing_and_a_code_signs_in(client):
    _, app, _ = enrolled()
    answer = login(client, "alice@alpha.example")
    assert answer.status_code == 302 and answer.location.endswith("/login/code")
    assert client.get("/portal/").status_code == 302  # not signed in yet
    assert send_code(client, "000000").status_code == 401
    with clock.travel(timedelta(seconds=30)):
        answer = send_code(client, app.at(clock.now()))
    assert answer.status_code == 302 and answer.location.endswith("/portal/")
    assert client.get("/portal/").status_code == 200


def test_a_recovery_code_signs_in_once(app, client):
    _, _, codes = enrolled()
    login(client, "alice@alpha.example")
    assert send_code(client, codes[3]).location.endswith("/portal/")
    assert "9 left" in client.get("/portal/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    login(client, "alice@alpha.example")
    assert send_code(client, codes[3]).status_code == 401


def test_the_code_must_follow_the_password_within_five_minutes(client):
    _, app, _ = enrolled()
    login(client, "alice@alpha.example")
    with clock.travel(timedelta(minutes=6)):
        page = client.get("/login/code")
    assert page.status_code == 302 and page.location.endswith("/login")


def test_an_organization_that_requires_it_sends_members_to_set_it_up_first(client):
    owner = signup("Alpha Apps", "alice@alpha.example", "Alice")
    users.add_member(owner.organization, "dev@alpha.example", "Dev", PASSWORD)
    two_factor.set_required(owner.organization, True, actor=owner)
    login(client, "dev@alpha.example")
    answer = client.get("/portal/institutions/")
    assert answer.status_code == 302 and answer.location.endswith("/account/two-factor/")
    client.post(
        "/account/two-factor/start", data={"csrf_token": csrf_token(client, "/account/two-factor/")}
    )
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    key = page.split('data-testid="setup-key">')[1].split("<")[0]
    token = csrf_token(client, "/account/two-factor/setup")  # the same session's token
    shown = client.post(
        "/account/two-factor/setup",
        data={"csrf_token": token, "code": pyotp.TOTP(key).at(clock.now())},
    )
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.get_data(as_text=True).count("<li><code>") == 10
    assert client.get("/portal/institutions/").status_code == 200


def test_staff_set_it_up_before_opening_ops(app, client):
    users.create_staff("olive@ops.example", PASSWORD)
    app.config["STAFF_TWO_FACTOR"] = True
    try:
        login(client, "olive@ops.example")
        answer = client.get("/ops/")
    finally:
        app.config["STAFF_TWO_FACTOR"] = False
    assert answer.status_code == 302 and answer.location.endswith("/account/two-factor/")


def test_an_owner_resets_a_members_two_factor_from_the_users_page(app, client):
    owner = signup("Alpha Apps", "alice@alpha.example", "Alice")
    member = users.add_member(owner.organization, "dev@alpha.example", "Dev", PASSWORD)
    two_factor.begin(member)
    two_factor.confirm(member, pyotp.TOTP(two_factor.pending_setup(member)[0]).at(clock.now()))
    path = f"/portal/users/{member.id}/reset-two-factor"
    assert login(client, "dev@alpha.example").location.endswith("/login/code")
    admin = app.test_client()
    login(admin, "alice@alpha.example")
    assert "stop" in admin.get(path).get_data(as_text=True)  # what stops, before it does
    admin.post(path, data={"csrf_token": csrf_token(admin, path)})
    assert login(client, "dev@alpha.example").location.endswith("/portal/")  # password alone
