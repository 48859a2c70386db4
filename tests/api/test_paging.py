"""Every list pages as NexHealth's docs describe: `end_cursor` from the answer goes forward
until `has_next_page` is false, `start_cursor` goes back until `has_previous_page` is false,
and each way every row comes exactly once. A page costs the same number of queries whatever
its size."""

import base64
import json
from types import SimpleNamespace

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import event, select, update

from portal.extensions import db
from portal.records import Patient, PatientRecall
from portal.services import commit, pagination
from portal.services.records import sandbox as sandboxes

WINDOW = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
LISTS = {
    "/patients": ("at_location", {}),
    "/providers": ("at_institution", {}),
    "/operatories": ("at_location", {}),
    "/appointment_types": ("at_institution", {}),
    "/appointments": ("at_location", WINDOW),
    "/institutions": (None, {}),
    "/locations": (None, {}),
    "/sync_status": (None, {}),
    "/working_hours": ("at_location", {}),
    "/working_hour_labels": ("at_institution", {}),
    "/recall_types": ("at_location", {}),
    "/patient_recalls": ("at_location", {}),
}


@pytest.fixture
def three_practices(sandbox):
    """Two more sandbox practices, so that the institution lists have pages to turn."""
    for _ in range(2):
        sandboxes.create_demo_practice(sandbox.organization)
    commit()
    return sandbox


def _query(path: str, sandbox) -> dict:
    scope, extra = LISTS[path]
    if scope == "at_location":
        return sandbox.at_location | extra
    if scope == "at_institution":
        return {"subdomain": sandbox.subdomain} | extra
    return dict(extra)


def _key(path: str, row: dict) -> int:
    return row["institution_id"] if path == "/sync_status" else row["id"]


def _walk(api, path: str, query: dict, cursor_name: str, more: str, first: dict) -> list[list]:
    pages, body = [], first
    while True:
        pages.append([_key(path, row) for row in body["data"]])
        if not body["page_info"][more]:
            return pages
        cursor = body["page_info"][cursor_name]
        answer = api.get(path, per_page=2, **query, **{cursor_name: cursor})
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()


@pytest.mark.parametrize("path", list(LISTS))
def test_every_list_pages_forward_with_end_cursor_and_back_with_start_cursor(
    api, three_practices, path
):
    query = _query(path, three_practices)
    everything = [_key(path, row) for row in api.get(path, **query).get_json()["data"]]
    first = api.get(path, per_page=2, **query).get_json()
    forward = _walk(api, path, query, "end_cursor", "has_next_page", first)
    last = api.get(path, per_page=2, **query, end_cursor=_cursor_before_last(api, path, query))
    backward = _walk(api, path, query, "start_cursor", "has_previous_page", last.get_json())

    assert len(everything) >= 3, "the list needs several pages to be tested"
    assert [key for page in forward for key in page] == everything
    assert [key for page in reversed(backward) for key in page] == everything
    assert first["page_info"]["has_previous_page"] is False
    assert last.get_json()["page_info"]["has_next_page"] is False


def _cursor_before_last(api, path: str, query: dict) -> str:
    """The end_cursor of the page before the last one, walking forward."""
    body = api.get(path, per_page=2, **query).get_json()
    previous = None
    while body["page_info"]["has_next_page"]:
        previous = body["page_info"]["end_cursor"]
        body = api.get(path, per_page=2, **query, end_cursor=previous).get_json()
    return previous


@pytest.mark.parametrize("sort", ["date_due", "-date_due"])
def test_recalls_without_a_due_date_are_paged_last_ascending_and_first_descending(
    api, sandbox, sort
):
    location_id = sandbox.at_location["location_id"]
    ids = db.session.scalars(
        select(PatientRecall.id)
        .where(PatientRecall.location_id == location_id)
        .order_by(PatientRecall.id)
    ).all()
    undated = ids[1:4]
    db.session.execute(
        update(PatientRecall).where(PatientRecall.id.in_(undated)).values(date_due=None)
    )
    commit()
    query = sandbox.at_location | {"sort": sort}
    path = "/patient_recalls"
    whole = api.get(path, **query).get_json()["data"]
    everything = [row["id"] for row in whole]
    # Among themselves by id, in the sort's direction: descending is ascending reversed.
    if sort == "date_due":
        assert everything[-3:] == undated
    else:
        assert everything[:3] == undated[::-1]
    dated = [row["date_due"] for row in whole if row["id"] not in undated]
    assert dated == sorted(dated, reverse=sort.startswith("-")) and None not in dated
    first = api.get(path, per_page=2, **query).get_json()
    forward = _walk(api, path, query, "end_cursor", "has_next_page", first)
    assert [key for page in forward for key in page] == everything
    last = api.get(path, per_page=2, **query, end_cursor=_cursor_before_last(api, path, query))
    backward = _walk(api, path, query, "start_cursor", "has_previous_page", last.get_json())
    assert [key for page in reversed(backward) for key in page] == everything


def test_per_page_defaults_to_1000_as_documented(api, sandbox):
    body = api.get("/patients", **sandbox.at_location).get_json()
    assert len(body["data"]) == 25 and body["page_info"]["has_next_page"] is False


def test_both_cursors_at_once_are_refused(api, sandbox):
    page = api.get("/patients", per_page=2, **sandbox.at_location).get_json()["page_info"]
    response = api.get(
        "/patients",
        start_cursor=page["start_cursor"],
        end_cursor=page["end_cursor"],
        **sandbox.at_location,
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == ["start_cursor cannot be combined with end_cursor."]


def _pages_of_two(api, sandbox, **cursor):
    return api.get("/patients", per_page=2, **cursor, **sandbox.at_location)


def _forged(cursor: str, position: list) -> str:
    """`cursor`'s signature on another position."""
    payload = base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()
    return payload + "~" + cursor.rpartition("~")[2]


@pytest.mark.parametrize(
    "cursor",
    [
        "~",
        "abc~def",
        "not base64!~AAAA",
        "W10~" + "A" * 24,  # "[]" with a signature of the right length
        "é~é",
        "x" * 2000,
        "eyJhIjoxfQ.forged",  # the shape of a cursor issued before "~"
    ],
)
def test_a_cursor_we_did_not_issue_is_refused_by_name(api, sandbox, cursor):
    response = _pages_of_two(api, sandbox, end_cursor=cursor)
    assert response.status_code == 400
    [error] = response.get_json()["error"]
    assert error in (
        "end_cursor is not a cursor this API issued.",
        "end_cursor must be at most 500 characters.",
    )


def test_a_cursor_pointed_elsewhere_keeps_no_signature(api, sandbox):
    cursor = _pages_of_two(api, sandbox).get_json()["page_info"]["end_cursor"]
    elsewhere = _forged(cursor, ["id", 0, 0])
    assert _pages_of_two(api, sandbox, end_cursor=elsewhere).status_code == 400
    assert _pages_of_two(api, sandbox, end_cursor=cursor).status_code == 200


def test_a_cursor_signed_under_another_secret_key_is_refused(app, api, sandbox):
    first = _pages_of_two(api, sandbox).get_json()["data"]
    by_id = pagination.sort_by("id", Patient, ("id",))
    with app.test_request_context():
        app.config["SECRET_KEY"], kept = "another-secret-key", app.config["SECRET_KEY"]
        try:
            foreign = pagination._encode(SimpleNamespace(id=first[-1]["id"]), by_id)
        finally:
            app.config["SECRET_KEY"] = kept
        ours = pagination._encode(SimpleNamespace(id=first[-1]["id"]), by_id)

    assert _pages_of_two(api, sandbox, end_cursor=foreign).status_code == 400
    assert _pages_of_two(api, sandbox, end_cursor=ours).status_code == 200


def test_a_cursor_issued_before_this_format_still_pages_on(app, api, sandbox):
    first = _pages_of_two(api, sandbox).get_json()
    last = first["data"][-1]["id"]
    earlier = URLSafeSerializer(app.config["SECRET_KEY"], salt="api-cursor").dumps(
        ["id", last, last]
    )

    after = _pages_of_two(api, sandbox, end_cursor=earlier).get_json()
    again = _pages_of_two(api, sandbox, end_cursor=first["page_info"]["end_cursor"]).get_json()
    assert after["data"] == again["data"] and after["data"][0]["id"] > last


def _statements(api, path: str, query: dict) -> int:
    count = 0

    def counted(*args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        assert api.get(path, **query).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


@pytest.mark.parametrize("path", list(LISTS))
def test_a_page_costs_the_same_queries_whatever_its_size(api, three_practices, path):
    query = _query(path, three_practices)
    small = _statements(api, path, query | {"per_page": 1})
    large = _statements(api, path, query | {"per_page": 1000})
    assert small == large
