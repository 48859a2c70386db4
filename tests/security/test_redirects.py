"""One guard for every return address (sign-in's `next`, the mode switch's `next`, the
consoles' `url=`): a hostile value never sends the browser to another site and never
answers 500; the user lands on the page they would have reached without it."""

import pytest
from flask import current_app
from flask_admin.contrib.sqla import ModelView

from portal.redirects import safe_target
from portal.services.accounts import users
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import upgraded

HOSTILE = [
    "//evil.example",
    "/\t/evil.example",
    "/\x09/evil.example/\t",
    "/\r\n/evil.example",
    "/x\r\nSet-Cookie: stolen=1",
    "\r\n",
    "/\n",
    "\\\\evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "///evil.example",
    " //evil.example",
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://evil.example/",
    "https:evil.example",
    "http://localhost/portal/",  # absolute, even to our own host: the Host header chose it
    "evil.example",
    "/\u2028/evil.example",
    "/\u200b/evil.example",
    "x" * 3000,
]
SAFE = ["/portal/", "/portal/users/?page=2&sort=1", "/ops/syncs/details/?id=3"]


@pytest.mark.parametrize("target", HOSTILE, ids=range(len(HOSTILE)))
def test_the_guard_refuses_anything_but_a_path_of_this_site(target):
    assert safe_target(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_the_guard_keeps_paths_of_this_site(target):
    assert safe_target(target) == target


def _sign_in_with_next(client, email, target):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": email, "password": PASSWORD},
    )


def test_sign_in_ignores_a_hostile_next_and_follows_a_safe_one(app):
    upgraded("Alpha Apps", "alice@alpha.example")
    for target in HOSTILE:
        client = app.test_client()
        response = _sign_in_with_next(client, "alice@alpha.example", target)
        assert (response.status_code, response.location) == (302, "/portal/"), repr(target)
    response = _sign_in_with_next(app.test_client(), "alice@alpha.example", "/portal/quickstart/")
    assert response.location == "/portal/quickstart/"


def test_the_mode_switch_ignores_a_hostile_next(client):
    upgraded("Alpha Apps", "alice@alpha.example")
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/")
    for target in HOSTILE:
        response = client.post(
            "/portal/mode", data={"csrf_token": token, "mode": "production", "next": target}
        )
        assert (response.status_code, response.location) == (302, "/portal/"), repr(target)
    kept = client.post(
        "/portal/mode", data={"csrf_token": token, "mode": "sandbox", "next": "/portal/syncs/"}
    )
    assert kept.location == "/portal/syncs/"


def _views(prefix):
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if isinstance(view, ModelView) and view.url.startswith(prefix):
                yield view


def test_every_console_view_drops_a_hostile_return_url(app):
    """Flask-Admin returns to `url=` after details without a row and after any row action."""
    upgraded("Alpha Apps", "alice@alpha.example")
    users.create_staff("olive@ops.example", PASSWORD)
    staff, developer = app.test_client(), app.test_client()
    login(staff, "olive@ops.example")
    login(developer, "alice@alpha.example")
    wrong = {}
    for prefix, client in (("/ops", staff), ("/portal", developer)):
        token = csrf_token(client, f"{prefix}/")
        for view in _views(prefix):
            home = f"{view.url}/"
            for target in HOSTILE:
                details = client.get(f"{view.url}/details/", query_string={"url": target})
                action = client.post(
                    f"{view.url}/action/",
                    data={"csrf_token": token, "action": "none", "url": target},
                )
                for response in (details, action):
                    if (response.status_code, response.location) != (302, home):
                        wrong[f"{response.request.path} {target!r}"] = response.location
    assert wrong == {}
