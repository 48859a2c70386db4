"""GET /patients (filters, cursor pagination), GET /patients/{id}, POST /patients."""

from datetime import date, timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.records import Patient
from tests.api.conftest import first_provider, new_patient_body, patients_at


def _patients(location_id: int) -> list[Patient]:
    return db.session.scalars(
        db.select(Patient).where(Patient.location_id == location_id).order_by(Patient.id)
    ).all()


def test_patients_are_listed_in_the_reference_shape(api, sandbox):
    response = api.get("/patients", **sandbox.at_location)

    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] is True and body["error"] == []
    assert len(body["data"]) == 25  # per_page defaults to 1000, as NexHealth documents
    assert set(body["page_info"]) == {
        "has_previous_page",
        "has_next_page",
        "start_cursor",
        "end_cursor",
    }
    assert body["page_info"]["has_next_page"] is False
    assert body["page_info"]["has_previous_page"] is False
    patient = body["data"][0]
    assert patient["location_ids"] == [sandbox.location_id]
    assert set(patient["bio"]) == {
        "date_of_birth",
        "phone_number",
        "gender",
        "street_address",
        "address_line_1",
        "address_line_2",
        "city",
        "state",
        "zip_code",
        "cell_phone_number",
        "home_phone_number",
        "work_phone_number",
        "non_patient",
    }
    assert patient["name"] == f"{patient['first_name']} {patient['last_name']}"


@pytest.mark.parametrize("missing", ["subdomain", "location_id"])
def test_listing_patients_without_a_required_parameter_gets_400_naming_it(api, sandbox, missing):
    query = {k: v for k, v in sandbox.at_location.items() if k != missing}
    response = api.get("/patients", **query)

    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{missing} is required."]
    assert response.get_json()["data"] is None


@pytest.mark.parametrize(
    "name, value",
    [
        ("location_id", "abc"),
        ("per_page", "0"),
        ("per_page", "1001"),
        ("sort", "name"),
        ("inactive", "maybe"),
        ("date_of_birth", "05/03/1964"),
        ("updated_since", "yesterday"),
        ("end_cursor", "forged"),
        ("start_cursor", "forged"),
    ],
)
def test_a_wrong_parameter_gets_400_naming_it(api, sandbox, name, value):
    response = api.get("/patients", **(sandbox.at_location | {name: value}))

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"{name} ")


def test_pages_cover_every_patient_once_even_while_patients_are_added(api, sandbox):
    originals = [p.id for p in _patients(sandbox.location_id)]
    provider = first_provider(sandbox.location_id)
    seen, cursor, pages = [], None, 0
    while True:
        query = sandbox.at_location | {"per_page": 7}
        if cursor:
            query["end_cursor"] = cursor
        body = api.get("/patients", **query).get_json()
        seen += [p["id"] for p in body["data"]]
        pages += 1
        # Someone adds a patient between two page requests.
        api.post(
            "/patients",
            new_patient_body(provider, first_name=f"Late{pages}"),
            **sandbox.at_location,
        )
        if not body["page_info"]["has_next_page"]:
            break
        cursor = body["page_info"]["end_cursor"]

    assert len(seen) == len(set(seen)), "a patient appeared on two pages"
    assert seen[: len(originals)] == originals, "a patient was skipped"
    assert seen == sorted(seen)


def test_start_cursor_pages_backwards(api, sandbox):
    first = api.get("/patients", per_page=5, **sandbox.at_location).get_json()
    second = api.get(
        "/patients",
        per_page=5,
        end_cursor=first["page_info"]["end_cursor"],
        **sandbox.at_location,
    ).get_json()
    back = api.get(
        "/patients",
        per_page=5,
        start_cursor=second["page_info"]["start_cursor"],
        **sandbox.at_location,
    ).get_json()

    assert [p["id"] for p in back["data"]] == [p["id"] for p in first["data"]]
    assert back["page_info"]["has_previous_page"] is False
    assert back["page_info"]["has_next_page"] is True
    assert second["page_info"]["has_previous_page"] is True


def test_a_cursor_of_another_sort_order_is_refused(api, sandbox):
    page = api.get("/patients", sort="-id", **sandbox.at_location).get_json()
    response = api.get(
        "/patients", end_cursor=page["page_info"]["end_cursor"], **sandbox.at_location
    )
    assert response.status_code == 400


def test_per_page_up_to_1000_returns_everything(api, sandbox):
    body = api.get("/patients", per_page=1000, **sandbox.at_location).get_json()
    assert len(body["data"]) == patients_at(sandbox.location_id)
    assert body["page_info"]["has_next_page"] is False


def test_patients_are_filtered_by_fuzzy_name(api, sandbox):
    target = _patients(sandbox.location_id)[3]
    query = f"{target.last_name[:3].lower()} {target.first_name[1:].upper()}"
    body = api.get("/patients", name=query, per_page=100, **sandbox.at_location).get_json()

    assert target.id in [p["id"] for p in body["data"]]
    for patient in body["data"]:
        assert (
            target.last_name[:3].lower()
            in patient["last_name"].lower() + patient["first_name"].lower()
        )


def test_patients_are_filtered_by_email_phone_and_date_of_birth(api, sandbox):
    target = _patients(sandbox.location_id)[5]
    phone = f"({target.phone_number[:3]}) {target.phone_number[3:6]}-{target.phone_number[6:]}"

    for name, value in (
        ("email", target.email.upper()),
        ("phone_number", phone),
        ("date_of_birth", target.date_of_birth.isoformat()),
    ):
        body = api.get("/patients", per_page=100, **{name: value}, **sandbox.at_location).get_json()
        assert target.id in [p["id"] for p in body["data"]], name
        assert len(body["data"]) < patients_at(sandbox.location_id), name


def test_patients_are_filtered_by_inactive_and_updated_since(api, sandbox):
    patients = _patients(sandbox.location_id)
    patients[0].inactive = True
    db.session.commit()
    with clock.travel(timedelta(days=2)):
        patients[1].first_name = "Renamed"
        db.session.commit()

    inactive = api.get("/patients", inactive="true", **sandbox.at_location).get_json()["data"]
    recent = api.get(
        "/patients",
        updated_since=(clock.now() + timedelta(days=1)).isoformat(),
        **sandbox.at_location,
    ).get_json()["data"]

    assert [p["id"] for p in inactive] == [patients[0].id]
    assert [p["id"] for p in recent] == [patients[1].id]
    active = api.get("/patients", inactive="false", per_page=100, **sandbox.at_location).get_json()
    assert patients[0].id not in [p["id"] for p in active["data"]]


def test_patients_sort_by_descending_id(api, sandbox):
    body = api.get("/patients", sort="-id", **sandbox.at_location).get_json()
    ids = [p["id"] for p in body["data"]]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == _patients(sandbox.location_id)[-1].id


def test_one_patient_is_shown_by_id(api, sandbox):
    target = _patients(sandbox.location_id)[0]
    response = api.get(f"/patients/{target.id}", subdomain=sandbox.subdomain)

    assert response.status_code == 200
    assert response.get_json()["data"]["email"] == target.email


def test_showing_a_patient_needs_the_subdomain_and_an_existing_id(api, sandbox):
    target = _patients(sandbox.location_id)[0]
    missing = api.get(f"/patients/{target.id}")
    unknown = api.get("/patients/999999", subdomain=sandbox.subdomain)
    huge = api.get("/patients/99999999999999999999", subdomain=sandbox.subdomain)

    assert missing.status_code == 400 and missing.get_json()["error"] == ["subdomain is required."]
    assert unknown.status_code == 404 and unknown.get_json()["data"] is None
    assert huge.status_code == 404


def test_a_patient_is_created_under_a_provider(api, sandbox):
    provider = first_provider(sandbox.location_id)
    response = api.post("/patients", new_patient_body(provider), **sandbox.at_location)

    assert response.status_code == 201
    user = response.get_json()["data"]["user"]
    assert user["first_name"] == "Test" and user["provider_id"] == provider
    assert user["bio"]["phone_number"] == "5550102030"
    assert user["location_ids"] == [sandbox.location_id]
    assert db.session.get(Patient, user["id"]).email == "test.writer@example.com"


def test_return_existing_if_match_returns_the_same_patient_with_200(api, sandbox):
    body = new_patient_body(first_provider(sandbox.location_id))
    created = api.post("/patients", body, **sandbox.at_location).get_json()["data"]["user"]

    matched = api.post(
        "/patients",
        body
        | {"return_existing_if_match": True, "patient": body["patient"] | {"first_name": "TEST"}},
        **sandbox.at_location,
    )
    duplicate = api.post("/patients", body, **sandbox.at_location)

    assert matched.status_code == 200
    assert matched.get_json()["data"]["user"]["id"] == created["id"]
    assert duplicate.status_code == 201
    assert duplicate.get_json()["data"]["user"]["id"] != created["id"]


@pytest.mark.parametrize(
    "path",
    [
        ("provider",),
        ("provider", "provider_id"),
        ("patient",),
        ("patient", "first_name"),
        ("patient", "last_name"),
        ("patient", "email"),
        ("patient", "bio"),
        ("patient", "bio", "date_of_birth"),
        ("patient", "bio", "phone_number"),
    ],
)
def test_creating_a_patient_without_a_required_field_gets_400_naming_it(api, sandbox, path):
    body = new_patient_body(first_provider(sandbox.location_id))
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]

    response = api.post("/patients", body, **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{'.'.join(path)} is required."]


@pytest.mark.parametrize(
    "field, patch",
    [
        ("patient.email", {"email": "not-an-email"}),
        ("patient.first_name", {"first_name": 42}),
        (
            "patient.bio.date_of_birth",
            {"bio": {"date_of_birth": "1990-13-01", "phone_number": "5550102030"}},
        ),
        (
            "patient.bio.phone_number",
            {"bio": {"date_of_birth": "1990-01-01", "phone_number": "12"}},
        ),
        (
            "patient.bio.gender",
            {"bio": {"date_of_birth": "1990-01-01", "phone_number": "5550102030", "gender": "x"}},
        ),
        (
            "patient.bio.date_of_birth",
            {
                "bio": {
                    "date_of_birth": (date.today() + timedelta(days=2)).isoformat(),
                    "phone_number": "5550102030",
                }
            },
        ),
    ],
)
def test_creating_a_patient_with_an_invalid_field_gets_400_naming_it(api, sandbox, field, patch):
    body = new_patient_body(first_provider(sandbox.location_id), **patch)
    response = api.post("/patients", body, **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"{field} ")


def test_a_provider_of_another_location_is_refused(api, sandbox, other_sandbox):
    before = patients_at(sandbox.location_id)
    body = new_patient_body(first_provider(other_sandbox.location_id))
    response = api.post("/patients", body, **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith("provider.provider_id ")
    assert patients_at(sandbox.location_id) == before


@pytest.mark.parametrize("missing", ["subdomain", "location_id"])
def test_creating_a_patient_without_a_required_parameter_gets_400(api, sandbox, missing):
    query = {k: v for k, v in sandbox.at_location.items() if k != missing}
    response = api.post("/patients", new_patient_body(first_provider(sandbox.location_id)), **query)
    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{missing} is required."]
