"""Institutions, locations, sync status, providers, operatories and appointment types."""

import pytest

from portal.extensions import db
from portal.records import AppointmentType, Operatory, Provider


def _ids(model, location_id):
    return db.session.scalars(
        db.select(model.id).where(model.location_id == location_id).order_by(model.id)
    ).all()


def test_institutions_list_the_sandbox_with_its_location(api, sandbox):
    body = api.get("/institutions").get_json()

    assert body["count"] == 1
    institution = body["data"][0]
    assert institution["subdomain"] == sandbox.subdomain
    assert [loc["id"] for loc in institution["locations"]] == [sandbox.location_id]
    shown = api.get(f"/institutions/{institution['id']}").get_json()["data"]
    assert shown == institution


def test_an_unknown_institution_id_gets_404(api):
    assert api.get("/institutions/987654").status_code == 404


def test_locations_are_nested_in_their_institutions(api, sandbox):
    body = api.get("/locations", subdomain=sandbox.subdomain).get_json()

    assert body["count"] == 1
    location = body["data"][0]["locations"][0]
    assert location["id"] == sandbox.location_id and location["tz"] == "America/Chicago"
    assert api.get(f"/locations/{sandbox.location_id}").get_json()["data"] == location
    assert api.get("/locations", inactive="true").get_json()["data"][0]["locations"] == []


def test_an_unknown_location_id_gets_404(api):
    assert api.get("/locations/987654").status_code == 404


def test_sandbox_sync_status_is_green(api, sandbox):
    body = api.get("/sync_status", subdomain=sandbox.subdomain).get_json()

    assert body["count"] == 1
    status = body["data"][0]
    assert status["read_status"] == status["write_status"] == "green"
    assert [loc["id"] for loc in status["locations"]] == [sandbox.location_id]


def test_providers_of_the_institution_and_of_a_location(api, sandbox):
    everywhere = api.get("/providers", subdomain=sandbox.subdomain, per_page=50).get_json()
    here = api.get("/providers", per_page=50, **sandbox.at_location).get_json()

    expected = _ids(Provider, sandbox.location_id)
    assert [p["id"] for p in everywhere["data"]] == expected
    assert [p["id"] for p in here["data"]] == expected
    assert here["data"][0]["locations"][0]["id"] == sandbox.location_id
    assert api.get("/providers", inactive="true", **sandbox.at_location).get_json()["data"] == []


def test_providers_page_with_cursors(api, sandbox):
    first = api.get("/providers", subdomain=sandbox.subdomain, per_page=2).get_json()
    rest = api.get(
        "/providers",
        subdomain=sandbox.subdomain,
        per_page=2,
        end_cursor=first["page_info"]["end_cursor"],
    ).get_json()

    seen = [p["id"] for p in first["data"] + rest["data"]]
    assert seen == _ids(Provider, sandbox.location_id)
    assert rest["page_info"]["has_next_page"] is False


def test_operatories_of_a_location(api, sandbox):
    body = api.get("/operatories", **sandbox.at_location).get_json()
    named = api.get("/operatories", search_name="hyg", **sandbox.at_location).get_json()

    assert [o["id"] for o in body["data"]] == _ids(Operatory, sandbox.location_id)
    assert [o["name"] for o in named["data"]] == ["Hygiene 1"]


def test_appointment_types_of_the_institution(api, sandbox):
    body = api.get("/appointment_types", **sandbox.at_location).get_json()

    assert body["count"] == 4
    cleaning = body["data"][0]
    assert cleaning | {"id": 0, "descriptors": []} == {
        "id": 0,
        "name": "Cleaning",
        "parent_type": "Location",
        "parent_id": sandbox.location_id,
        "minutes": 60,
        "bookable_online": True,
        "descriptors": [],
    }
    assert [(d["code"], d["descriptor_type"]) for d in cleaning["descriptors"]] == [
        ("D1110", "Procedure Code")
    ]


@pytest.mark.parametrize(
    "model, path",
    [(Provider, "providers"), (Operatory, "operatories"), (AppointmentType, "appointment_types")],
)
def test_one_record_is_shown_by_id_or_404(api, sandbox, model, path):
    row_id = _ids(model, sandbox.location_id)[0]

    shown = api.get(f"/{path}/{row_id}", subdomain=sandbox.subdomain)
    unknown = api.get(f"/{path}/987654", subdomain=sandbox.subdomain)
    no_subdomain = api.get(f"/{path}/{row_id}")

    assert shown.status_code == 200 and shown.get_json()["data"]["id"] == row_id
    assert unknown.status_code == 404 and unknown.get_json()["data"] is None
    assert no_subdomain.status_code == 400
    assert no_subdomain.get_json()["error"] == ["subdomain is required."]


@pytest.mark.parametrize(
    "path, missing",
    [
        ("/providers", "subdomain"),
        ("/operatories", "subdomain"),
        ("/operatories", "location_id"),
        ("/appointment_types", "subdomain"),
    ],
)
def test_required_parameters_are_named_when_missing(api, sandbox, path, missing):
    query = {k: v for k, v in sandbox.at_location.items() if k != missing}
    response = api.get(path, **query)

    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{missing} is required."]


@pytest.mark.parametrize("path", ["/providers", "/operatories", "/appointment_types"])
def test_a_location_outside_the_institution_gets_404(api, sandbox, other_sandbox, path):
    response = api.get(path, subdomain=sandbox.subdomain, location_id=other_sandbox.location_id)
    assert response.status_code == 404
