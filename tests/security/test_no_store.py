"""No answer of the app is cached, except static files: every page may show a secret (a
product key, an extension token, an API key, a webhook secret), a person's data or a
one-time link. Walked over the whole URL map, so a new page is covered without a list."""

import pytest
from flask import current_app

from portal import clock
from portal.models import EnrollmentStatus
from portal.services.accounts import users
from portal.services.syncs import keys, setup
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import enrollment_in, institution, upgraded

CACHEABLE = {"static", "admin.static", "public.favicon"}


def _clients(app):
    admin = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = enrollment_in(admin, EnrollmentStatus.LIVE)
    users.create_staff("olive@ops.example", PASSWORD)
    staff, developer, practice, anonymous = (app.test_client() for _ in range(4))
    login(staff, "olive@ops.example")
    login(developer, "alice@alpha.example")
    with practice.session_transaction() as session:
        session["practice"] = {
            "institution_id": enrollment.institution_id,
            "since": clock.now().isoformat(),
            "version": enrollment.institution.session_version,
        }
    return {"/ops": staff, "/portal": developer, "/practice": practice, "/": anonymous}


def _path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        choices = getattr(converter, "items", None)
        number = type(converter).__name__ == "DatabaseId"
        values[name] = 1 if number else (sorted(choices)[0] if choices else "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_answers_no_store_whoever_asks_except_static_files(app):
    clients = _clients(app)
    checked = 0
    for rule in list(current_app.url_map.iter_rules()):
        if rule.endpoint in CACHEABLE or rule.endpoint.endswith(".static"):
            continue
        path = _path(rule)
        client = next(c for prefix, c in clients.items() if path.startswith(prefix))
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        answer = client.open(path, method=method)
        assert answer.headers.get("Cache-Control") == "no-store", (rule.rule, answer.status)
        checked += 1
    assert checked > 100  # the walk reached the consoles, the practice pages and the API


def test_static_files_stay_cacheable(client):
    answer = client.get("/static/js/ready.js")
    assert answer.status_code == 200
    assert answer.headers.get("Cache-Control") != "no-store"


@pytest.fixture
def developer(client):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    return user


def test_the_pages_showing_a_product_key_or_an_extension_token_are_not_cached(client, developer):
    enrollment = institution(developer)
    installer = setup.create_sync(enrollment, ehr="dentrix", server_name="FD", actor=developer)
    cloud = setup.create_sync(enrollment, ehr="cloud9", server_name="", actor=developer)

    page = client.get(f"/portal/institutions/{enrollment.id}/")
    printable = client.get(f"/portal/syncs/{installer.id}/install/")

    text = page.get_data(as_text=True)
    assert keys.product_key(installer) in text and keys.extension_token(cloud) in text
    assert keys.product_key(installer) in printable.get_data(as_text=True)
    assert page.headers["Cache-Control"] == printable.headers["Cache-Control"] == "no-store"
