"""GET /appointments (time window, filters, pages), GET and PATCH /appointments/{id},
POST /appointments (no overlaps)."""

from datetime import timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider

WINDOW = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
FREE_DAY = "2099-03-02"  # far from the seeded weeks


def _all(model, location_id: int) -> list:
    return db.session.scalars(
        db.select(model).where(model.location_id == location_id).order_by(model.id)
    ).all()


def _booking(sandbox, *, hour=9, provider=0, operatory=None, **appt):
    providers = _all(Provider, sandbox.location_id)
    body = {
        "patient_id": _all(Patient, sandbox.location_id)[0].id,
        "provider_id": providers[provider].id,
        "start_time": f"{FREE_DAY}T{hour:02d}:00:00Z",
    }
    if operatory is not None:
        body["operatory_id"] = _all(Operatory, sandbox.location_id)[operatory].id
    return {"appt": body | appt}


def test_appointments_in_a_window_are_listed_with_page_info(api, sandbox):
    response = api.get("/appointments", **WINDOW, **sandbox.at_location)

    assert response.status_code == 200
    body = response.get_json()
    assert len(body["data"]) == 40 and body["page_info"]["has_next_page"] is False
    starts = [a["start_time"] for a in body["data"]]
    assert starts == sorted(starts)
    assert body["data"][0]["timezone"] == "America/Chicago"  # the sandbox is in Illinois


@pytest.mark.parametrize("missing", ["subdomain", "start", "end"])
def test_listing_appointments_without_a_required_parameter_gets_400_naming_it(
    api, sandbox, missing
):
    query = {k: v for k, v in (WINDOW | sandbox.at_location).items() if k != missing}
    response = api.get("/appointments", **query)

    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{missing} is required."]


def test_a_window_that_ends_before_it_starts_gets_400(api, sandbox):
    response = api.get("/appointments", start="2030-01-02", end="2030-01-01", **sandbox.at_location)
    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith("end ")


def test_only_appointments_starting_inside_the_window_are_listed(api, sandbox):
    every = _all(Appointment, sandbox.location_id)
    middle = sorted(every, key=lambda a: a.start_time)[len(every) // 2]
    window = {"start": middle.start_time.isoformat(), "end": middle.start_time.isoformat()}

    body = api.get("/appointments", per_page=100, **window, **sandbox.at_location).get_json()

    assert middle.id in [a["id"] for a in body["data"]]
    assert all(a["start_time"] == body["data"][0]["start_time"] for a in body["data"])


def test_pages_of_appointments_have_no_duplicates_or_gaps(api, sandbox):
    seen, cursor = [], None
    while True:
        query = WINDOW | sandbox.at_location | {"per_page": 6}
        body = api.get("/appointments", **query, **({"end_cursor": cursor} if cursor else {}))
        body = body.get_json()
        seen += [a["id"] for a in body["data"]]
        if not body["page_info"]["has_next_page"]:
            break
        cursor = body["page_info"]["end_cursor"]

    assert sorted(seen) == [a.id for a in _all(Appointment, sandbox.location_id)]
    assert len(seen) == len(set(seen))


def test_appointments_are_filtered_by_patient_provider_operatory_and_cancelled(api, sandbox):
    every = _all(Appointment, sandbox.location_id)
    target = every[0]
    target.cancelled = True
    db.session.commit()

    def ids(**query):
        body = api.get("/appointments", per_page=100, **query, **WINDOW, **sandbox.at_location)
        return {a["id"] for a in body.get_json()["data"]}

    assert ids(**{"patient_ids[]": [target.patient_id]}) == {
        a.id for a in every if a.patient_id == target.patient_id
    }
    assert ids(**{"provider_ids[]": [target.provider_id]}) == {
        a.id for a in every if a.provider_id == target.provider_id
    }
    assert ids(**{"operatory_ids[]": [target.operatory_id]}) == {
        a.id for a in every if a.operatory_id == target.operatory_id
    }
    assert ids(cancelled="true") == {target.id}
    assert target.id not in ids(cancelled="false")


def test_appointments_are_filtered_by_updated_since_and_sorted_by_it(api, sandbox):
    target = _all(Appointment, sandbox.location_id)[4]
    with clock.travel(timedelta(days=3)):
        target.note = "moved"
        db.session.commit()
    since = (clock.now() + timedelta(days=1)).isoformat()

    recent = api.get("/appointments", updated_since=since, **WINDOW, **sandbox.at_location)
    newest_first = api.get("/appointments", sort="-updated_at", **WINDOW, **sandbox.at_location)

    assert [a["id"] for a in recent.get_json()["data"]] == [target.id]
    assert newest_first.get_json()["data"][0]["id"] == target.id


def test_one_appointment_is_shown_with_its_patient(api, sandbox):
    target = _all(Appointment, sandbox.location_id)[0]
    response = api.get(f"/appointments/{target.id}", subdomain=sandbox.subdomain)

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["id"] == target.id and data["patient"]["id"] == target.patient_id


def test_showing_an_unknown_appointment_gets_404_and_no_subdomain_400(api, sandbox):
    assert api.get("/appointments/424242", subdomain=sandbox.subdomain).status_code == 404
    assert api.get("/appointments/1").status_code == 400


def test_an_appointment_is_booked_for_the_appointment_types_length(api, sandbox):
    kind = _all(AppointmentType, sandbox.location_id)[0]
    body = _booking(sandbox, operatory=0, appointment_type_id=kind.id, note="First visit")
    response = api.post("/appointments", body, **sandbox.at_location)

    assert response.status_code == 201
    appt = response.get_json()["data"]["appt"]
    assert appt["start_time"] == f"{FREE_DAY}T09:00:00.000Z"
    assert appt["end_time"] == f"{FREE_DAY}T{9 + kind.minutes // 60:02d}:00:00.000Z"
    assert appt["note"] == "First visit" and appt["confirmed"] is False
    assert db.session.get(Appointment, appt["id"]).location_id == sandbox.location_id


def test_an_overlapping_booking_for_the_same_provider_is_refused(api, sandbox):
    assert api.post("/appointments", _booking(sandbox), **sandbox.at_location).status_code == 201
    clash = _booking(sandbox, start_time=f"{FREE_DAY}T09:15:00Z")
    response = api.post("/appointments", clash, **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith("appt.start_time overlaps")


def test_an_overlapping_booking_in_the_same_operatory_is_refused(api, sandbox):
    first = _booking(sandbox, provider=0, operatory=1)
    other_provider = _booking(sandbox, provider=1, operatory=1)
    assert api.post("/appointments", first, **sandbox.at_location).status_code == 201

    response = api.post("/appointments", other_provider, **sandbox.at_location)

    assert response.status_code == 400
    assert "operatory" in response.get_json()["error"][0]


def test_back_to_back_and_cancelled_slots_can_be_booked(api, sandbox):
    first = api.post("/appointments", _booking(sandbox), **sandbox.at_location).get_json()
    next_slot = _booking(sandbox, start_time=f"{FREE_DAY}T09:30:00Z")
    assert api.post("/appointments", next_slot, **sandbox.at_location).status_code == 201

    appt_id = first["data"]["appt"]["id"]
    api.patch(
        f"/appointments/{appt_id}", {"appt": {"cancelled": True}}, subdomain=sandbox.subdomain
    )
    assert api.post("/appointments", _booking(sandbox), **sandbox.at_location).status_code == 201


@pytest.mark.parametrize("field", ["patient_id", "provider_id", "start_time"])
def test_booking_without_a_required_field_gets_400_naming_it(api, sandbox, field):
    body = _booking(sandbox)
    del body["appt"][field]
    response = api.post("/appointments", body, **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"] == [f"appt.{field} is required."]


@pytest.mark.parametrize(
    "field, value",
    [
        ("patient_id", "1"),
        ("provider_id", True),
        ("start_time", "tomorrow at nine"),
        ("end_time", f"{FREE_DAY}T08:00:00Z"),
        ("operatory_id", 999999),
        ("appointment_type_id", -3),
        ("note", "x" * 129),
    ],
)
def test_booking_with_an_invalid_field_gets_400_naming_it(api, sandbox, field, value):
    response = api.post("/appointments", _booking(sandbox, **{field: value}), **sandbox.at_location)

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"appt.{field} ")


def test_booking_a_patient_of_another_organization_is_refused(api, sandbox, other_sandbox):
    stranger = _all(Patient, other_sandbox.location_id)[0].id
    response = api.post(
        "/appointments", _booking(sandbox, patient_id=stranger), **sandbox.at_location
    )
    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith("appt.patient_id ")


def test_booking_without_the_appt_object_gets_400(api, sandbox):
    response = api.post("/appointments", {"appointment": {}}, **sandbox.at_location)
    assert response.status_code == 400
    assert response.get_json()["error"] == ["appt is required."]


def _booked(api, sandbox) -> int:
    return api.post("/appointments", _booking(sandbox), **sandbox.at_location).get_json()["data"][
        "appt"
    ]["id"]


def test_an_appointment_is_confirmed_then_cancelled(api, sandbox):
    appt_id = _booked(api, sandbox)
    where = {"subdomain": sandbox.subdomain}

    confirmed = api.patch(f"/appointments/{appt_id}", {"appt": {"confirmed": True}}, **where)
    cancelled = api.patch(f"/appointments/{appt_id}", {"appt": {"cancelled": True}}, **where)
    again = api.patch(f"/appointments/{appt_id}", {"appt": {"cancelled": True}}, **where)

    assert confirmed.status_code == 200
    assert confirmed.get_json()["data"]["appt"]["confirmed"] is True
    assert cancelled.get_json()["data"]["appt"]["cancelled"] is True
    assert again.status_code == 200


@pytest.mark.parametrize(
    "change, field",
    [({"cancelled": False}, "appt.cancelled"), ({"confirmed": True}, "appt.confirmed")],
)
def test_a_cancelled_appointment_is_final(api, sandbox, change, field):
    appt_id = _booked(api, sandbox)
    where = {"subdomain": sandbox.subdomain}
    api.patch(f"/appointments/{appt_id}", {"appt": {"cancelled": True}}, **where)

    response = api.patch(f"/appointments/{appt_id}", {"appt": change}, **where)

    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"{field} cannot")
    assert db.session.get(Appointment, appt_id).confirmed is False


@pytest.mark.parametrize(
    "body, error",
    [
        ({}, "appt is required."),
        (
            {"appt": {}},
            "appt must set one of: start_time, end_time, provider_id, operatory_id, note, "
            "checkin_at, confirmed, cancelled.",
        ),
        ({"appt": {"confirmed": "yes"}}, "appt.confirmed must be true or false."),
    ],
)
def test_a_patch_without_a_valid_change_gets_400(api, sandbox, body, error):
    appt_id = _booked(api, sandbox)
    response = api.patch(f"/appointments/{appt_id}", body, subdomain=sandbox.subdomain)

    assert response.status_code == 400
    assert response.get_json()["error"] == [error]


def test_patching_needs_the_subdomain_and_a_known_appointment(api, sandbox, other_sandbox):
    appt_id = _booked(api, sandbox)
    change = {"appt": {"confirmed": True}}

    assert api.patch(f"/appointments/{appt_id}", change).status_code == 400
    assert api.patch("/appointments/999999", change, subdomain=sandbox.subdomain).status_code == 404
    refused = api.patch(f"/appointments/{appt_id}", change, subdomain=other_sandbox.subdomain)
    assert refused.status_code == 403
    assert db.session.get(Appointment, appt_id).confirmed is False
