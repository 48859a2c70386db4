"""One id check for every route and every console id parameter: an id that names no row the
database could hold (2^31 and above, beyond 64 bits, '²', other scripts' digits) is a page
that does not exist, 404, on SQLite and PostgreSQL alike, never a 500."""

from urllib.parse import quote

import pytest
from flask import current_app
from flask_admin.contrib.sqla import ModelView

from portal import clock
from portal.models import EnrollmentStatus, SyncStage
from portal.services.accounts import users
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import enrollment_in, sync_in, upgraded

BAD_IDS = [
    "2147483648",  # 2^31: PostgreSQL's INTEGER ends at 2^31 - 1
    "18446744073709551617",  # beyond 64 bits: SQLite cannot bind it
    "9" * 40,
    "²",  # str.isdigit() accepts it, int() refuses it
    "٣",  # an Arabic-Indic digit: int() reads 3, but it is not how our links spell an id
    "-1",
    "1e3",
]


PLACE = 424242  # stands for the id in a built path, then replaced by the bad one


def _clients(app):
    """A signed-in client for each area, with a CSRF token of its own session."""
    admin = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = enrollment_in(admin, EnrollmentStatus.LIVE)
    sync_in(enrollment, "dentrix", SyncStage.ACTIVE)
    users.create_staff("olive@ops.example", PASSWORD)
    staff, developer, practice = app.test_client(), app.test_client(), app.test_client()
    login(staff, "olive@ops.example")
    login(developer, "alice@alpha.example")
    with practice.session_transaction() as session:
        session["practice"] = {
            "institution_id": enrollment.institution_id,
            "since": clock.now().isoformat(),
        }
    tokens = {
        "/ops": csrf_token(staff, "/ops/users/"),
        "/portal": csrf_token(developer, "/portal/users/"),
        "/practice": csrf_token(developer, "/login"),
    }
    return {
        prefix: (client, tokens[prefix])
        for prefix, client in (("/ops", staff), ("/portal", developer), ("/practice", practice))
    }


def _client_for(clients, path):
    for prefix, pair in clients.items():
        if path.startswith(prefix):
            return pair
    return clients["/portal"]


def _id_routes():
    """(rule, filled-in path for a given id) for every route with an integer in its path."""
    for rule in current_app.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items() if type(c).__name__ == "DatabaseId"]
        if ints:
            yield rule, ints


def _fill(rule, ints, bad):
    values = {}
    for name, converter in rule._converters.items():
        choices = getattr(converter, "items", None)
        values[name] = PLACE if name in ints else (sorted(choices)[0] if choices else "x")
    return rule.build(values, append_unknown=False)[1].replace(str(PLACE), quote(bad))


@pytest.mark.parametrize("bad", BAD_IDS, ids=range(len(BAD_IDS)))
def test_every_route_with_an_id_in_its_path_answers_404_for_an_id_no_row_can_have(app, bad):
    clients = _clients(app)
    answers = {}
    for rule, ints in _id_routes():
        path = _fill(rule, ints, bad)
        client, token = _client_for(clients, path)
        headers = {"Authorization": "Bearer x"} if path.startswith("/api/") else {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": token}, headers=headers)
            answers[f"{method} {path}"] = response.status_code
    assert len(answers) > 30
    assert {route: code for route, code in answers.items() if code != 404} == {}


def _model_views():
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if isinstance(view, ModelView):
                yield view


def _id_requests(view, bad):
    """Every way a console view takes a row id: details, edit, delete, row actions, inline
    edits and the bulk confirmation page."""
    base = view.url
    yield "GET", f"{base}/details/", {"id": bad}, {}
    yield "GET", f"{base}/edit/", {"id": bad}, {}
    yield "POST", f"{base}/edit/", {"id": bad}, {"name": "x"}
    yield "POST", f"{base}/delete/", {}, {"id": bad}
    for name, _ in view._actions or [("delete", "")]:
        yield "POST", f"{base}/action/", {}, {"action": name, "rowid": bad}
    yield "POST", f"{base}/ajax/update/", {}, {"pk": bad, "name": "x"}
    for name in getattr(view, "bulk_actions", {}):
        yield "GET", f"{base}/bulk/", {"action": name, "id": bad}, {}
        yield "POST", f"{base}/bulk/", {"action": name, "id": bad}, {"reason": "r"}


@pytest.mark.parametrize("bad", BAD_IDS, ids=range(len(BAD_IDS)))
def test_every_console_views_id_parameters_answer_404_for_an_id_no_row_can_have(app, bad):
    clients = _clients(app)
    answers = {}
    views = list(_model_views())
    for view in views:
        client, token = _client_for(clients, view.url)
        for method, path, query, form in _id_requests(view, bad):
            response = client.open(
                path, method=method, query_string=query, data={"csrf_token": token, **form}
            )
            answers[f"{method} {path} {query} {form}"] = response.status_code
    assert len(views) >= 15
    assert {request: code for request, code in answers.items() if code != 404} == {}


def test_a_good_id_still_reaches_its_row(app):
    clients = _clients(app)
    staff, _ = clients["/ops"]
    assert staff.get("/ops/users/details/", query_string={"id": "1"}).status_code == 200
