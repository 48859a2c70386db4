"""Working hours (read, created, changed, deleted), their labels, available slots, and
appointment types written through the API."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.records import AppointmentType, Operatory, Provider, WorkingHour
from tests.api.conftest import first_provider


def _rows(model, location_id: int) -> list:
    return db.session.scalars(
        select(model).where(model.location_id == location_id).order_by(model.id)
    ).all()


def _hour(sandbox, **fields) -> dict:
    operatory = _rows(Operatory, sandbox.location_id)[0].id
    body = {
        "provider_id": first_provider(sandbox.location_id),
        "begin_time": "18:00",
        "end_time": "20:00",
        "operatory_id": operatory,
        "specific_date": "2031-03-01",
    }
    return {"working_hour": body | fields}


def test_a_working_hour_is_created_read_changed_and_deleted(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    created = api.post("/working_hours", _hour(sandbox), **sandbox.at_location)
    assert created.status_code == 201, created.get_json()
    hour = created.get_json()["data"]["working_hour"]
    assert hour["specific_date"] == "2031-03-01" and hour["days"] is None
    assert hour["source"] == "manual" and hour["tz_offset"] in ("-0600", "-0500")

    shown = api.get(f"/working_hours/{hour['id']}", **where).get_json()["data"]
    assert (shown["begin_time"], shown["end_time"]) == ("18:00", "20:00")

    body = {"working_hour": {"days": ["Saturday"], "end_time": "21:00"}}
    changed = api.patch(f"/working_hours/{hour['id']}", body, **where).get_json()["data"]
    assert changed["days"] == ["Saturday"] and changed["specific_date"] is None
    assert changed["end_time"] == "21:00"

    deleted = api.client.delete(
        f"/api/working_hours/{hour['id']}", query_string=where, headers=api._headers(None)
    )
    assert deleted.status_code == 204 and deleted.data == b""
    assert api.get(f"/working_hours/{hour['id']}", **where).status_code == 404


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"days": ["Monday"]}, "working_hour.days"),  # and specific_date: two schedules
        ({"begin_time": "25:00"}, "working_hour.begin_time"),
        ({"end_time": "17:00"}, "working_hour.end_time"),  # before the beginning
        ({"provider_id": 999999}, "working_hour.provider_id"),
        ({"appointment_type_ids": [999999]}, "working_hour.appointment_type_ids"),
        ({"days": ["Someday"]}, "working_hour.days[0]"),
    ],
)
def test_a_wrong_working_hour_is_refused_naming_the_field(api, sandbox, fields, field):
    before = db.session.scalar(select(db.func.count(WorkingHour.id)))
    response = api.post("/working_hours", _hour(sandbox, **fields), **sandbox.at_location)
    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"{field} ")
    assert db.session.scalar(select(db.func.count(WorkingHour.id))) == before


def test_another_organizations_working_hours_are_out_of_reach(api, sandbox, other_sandbox):
    theirs = _rows(WorkingHour, other_sandbox.location_id)[0].id
    assert api.get(f"/working_hours/{theirs}", subdomain=sandbox.subdomain).status_code == 404
    listed = api.get("/working_hours", **other_sandbox.at_location)
    assert listed.status_code == 403


def test_working_hour_labels_are_listed_and_searched(api, sandbox):
    at = {"subdomain": sandbox.subdomain}
    names = [label["name"] for label in api.get("/working_hour_labels", **at).get_json()["data"]]
    assert names == ["Regular hours", "New patients", "Emergencies"]
    found = api.get("/working_hour_labels", search_name="patient", **at).get_json()["data"]
    assert [label["name"] for label in found] == ["New patients"]


def _slots(api, sandbox, **query) -> list[dict]:
    pairs = [("subdomain", sandbox.subdomain), ("lids[]", str(sandbox.location_id))]
    pairs += [(k, str(v)) for k, v in query.items()]
    response = api.client.get(
        "/api/available_slots", query_string=pairs, headers=api._headers(None)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_slots_follow_working_hours_and_the_appointment_types_length(api, sandbox):
    saturday = date(2031, 3, 1)
    assert saturday.weekday() == 5
    assert _slots(api, sandbox, start_date=saturday, days=1) == []  # closed at weekends

    monday = saturday + timedelta(days=2)
    groups = _slots(api, sandbox, start_date=monday, days=1)
    assert len(groups) == len(_rows(Provider, sandbox.location_id))
    for group in groups:
        times = [slot["time"][11:16] for slot in group["slots"]]
        assert times[0] == "08:00" and times[-1] == "16:30" and len(times) == 18
        assert group["next_available_date"] == monday.isoformat()

    cleaning = _rows(AppointmentType, sandbox.location_id)[0]
    assert cleaning.minutes == 60
    hour_long = _slots(api, sandbox, start_date=monday, days=1, appointment_type_id=cleaning.id)
    assert [s["time"][11:16] for s in hour_long[0]["slots"]][:2] == ["08:00", "09:00"]
    assert hour_long[0]["slots"][-1]["time"][11:16] == "16:00"


@pytest.mark.parametrize(
    "query, field",
    [({"days": 0}, "days"), ({"days": 40}, "days"), ({"start_date": "soon"}, "start_date")],
)
def test_a_wrong_slot_search_is_refused_naming_it(api, sandbox, query, field):
    pairs = [("subdomain", sandbox.subdomain), ("lids[]", str(sandbox.location_id))]
    pairs += [(k, str(v)) for k, v in ({"start_date": "2031-03-03", "days": 1} | query).items()]
    response = api.client.get(
        "/api/available_slots", query_string=pairs, headers=api._headers(None)
    )
    assert response.status_code == 400
    assert response.get_json()["error"][0].startswith(f"{field} ")


def test_slots_need_locations_you_reach(api, sandbox, other_sandbox):
    query = {"subdomain": sandbox.subdomain, "start_date": "2031-03-03", "days": 1}
    assert api.get("/available_slots", **query).get_json()["error"] == ["lids[] is required."]
    theirs = api.get("/available_slots", **query, **{"lids[]": other_sandbox.location_id})
    assert theirs.status_code == 404


def test_appointment_types_are_created_changed_and_deleted(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    body = {
        "location_id": sandbox.location_id,
        "appointment_type": {"name": "Whitening", "minutes": 45},
    }
    created = api.post("/appointment_types", body, **where)
    assert created.status_code == 201, created.get_json()
    kind = created.get_json()["data"]
    assert (kind["name"], kind["minutes"], kind["parent_id"]) == (
        "Whitening",
        45,
        sandbox.location_id,
    )
    again = api.post("/appointment_types", body, **where)
    assert again.status_code == 400
    assert again.get_json()["error"][0].startswith("appointment_type.name is already used")

    change = {"appointment_type": {"minutes": 50, "bookable_online": False}}
    changed = api.patch(f"/appointment_types/{kind['id']}", change, **where).get_json()["data"]
    assert (changed["minutes"], changed["bookable_online"]) == (50, False)

    deleted = api.client.delete(
        f"/api/appointment_types/{kind['id']}", query_string=where, headers=api._headers(None)
    )
    assert deleted.status_code == 200 and deleted.get_json()["data"]["id"] == kind["id"]
    assert api.get(f"/appointment_types/{kind['id']}", **where).status_code == 404


def test_an_appointment_type_needs_its_location_and_a_sensible_length(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    nowhere = api.post(
        "/appointment_types", {"appointment_type": {"name": "X", "minutes": 30}}, **where
    )
    assert nowhere.get_json()["error"] == [
        "location_id is required: appointment types belong to a location."
    ]
    body = {"location_id": sandbox.location_id, "appointment_type": {"name": "X", "minutes": 1}}
    too_short = api.post("/appointment_types", body, **where)
    assert too_short.status_code == 400
    assert too_short.get_json()["error"][0].startswith("appointment_type.minutes ")
