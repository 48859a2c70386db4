"""A production key reaches the practice's uploaded records only at locations with an active
grant: every record endpoint, read or write, refuses a location without one and leaves it
as it was, while the same call at the granted location works (so each refusal is real)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import GrantStatus, Location, LocationGrant, PendingWrite
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider, WorkingHour
from tests.api.conftest import Api, bearer_token, new_patient_body
from tests.practice_world import V1, chart, live_practice, office, upload_chart

MODELS = (Patient, Provider, Operatory, AppointmentType, WorkingHour, Appointment)


@pytest.fixture
def world(client):
    """Office 1 granted and office 2 discovered later (no grant), both with a chart."""
    practice = live_practice(client)
    now = clock.now().isoformat()
    beat = client.post(
        f"{V1}/heartbeat",
        json={"last_read_at": now, "locations": [office("1"), office("2")]},
        headers=practice.auth,
    )
    assert beat.status_code == 200
    upload_chart(client, practice, chart())
    second = {kind: rows for kind, rows in chart().items()}
    for kind, rows in second.items():
        response = client.post(
            f"{V1}/uploads/{kind}",
            json={"location_foreign_id": "2", "records": rows},
            headers=practice.auth,
        )
        assert response.status_code == 200, response.json
    api = Api(client, bearer_token(client, practice.raw_key))
    return practice, api


def place(location_id: int) -> dict:
    """Our ids of one location's uploaded records."""

    def first(model):
        return db.session.scalar(
            select(model.id).where(model.location_id == location_id).order_by(model.id)
        )

    return {"location": location_id, **{model.__name__: first(model) for model in MODELS}}


def cases(subdomain: str, at: dict) -> list[tuple]:
    """Every record endpoint, as (label, method, path, query, body), aimed at `at`."""
    where = {"subdomain": subdomain}
    here = {**where, "location_id": at["location"]}
    start = (clock.now() + timedelta(days=6)).replace(hour=14, minute=0, second=0, microsecond=0)
    window = {**here, "start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    slots = {**where, "lids[]": at["location"], "start_date": start.date().isoformat(), "days": 3}
    booking = {"appt": {"patient_id": at["Patient"], "provider_id": at["Provider"]}}
    booking["appt"]["start_time"] = start.isoformat()
    hour = {
        "working_hour": {
            "provider_id": at["Provider"],
            "begin_time": "18:00",
            "end_time": "20:00",
            "specific_date": "2031-03-01",
        }
    }
    new_type = {
        "location_id": at["location"],
        "appointment_type": {"name": "Whitening", "minutes": 45},
    }
    return [
        ("list patients", "GET", "/patients", here, None),
        ("show patient", "GET", f"/patients/{at['Patient']}", where, None),
        ("create patient", "POST", "/patients", here, new_patient_body(at["Provider"])),
        ("list providers", "GET", "/providers", here, None),
        ("show provider", "GET", f"/providers/{at['Provider']}", where, None),
        ("list operatories", "GET", "/operatories", here, None),
        ("show operatory", "GET", f"/operatories/{at['Operatory']}", where, None),
        ("list appointments", "GET", "/appointments", window, None),
        ("show appointment", "GET", f"/appointments/{at['Appointment']}", where, None),
        ("book appointment", "POST", "/appointments", here, booking),
        (
            "change appointment",
            "PATCH",
            f"/appointments/{at['Appointment']}",
            where,
            {"appt": {"note": "Running late"}},
        ),
        (
            "appointment descriptors",
            "GET",
            f"/appointments/{at['Appointment']}/appointment_descriptors",
            where,
            None,
        ),
        ("list appointment types", "GET", "/appointment_types", here, None),
        (
            "show appointment type",
            "GET",
            f"/appointment_types/{at['AppointmentType']}",
            where,
            None,
        ),
        ("create appointment type", "POST", "/appointment_types", where, new_type),
        (
            "change appointment type",
            "PATCH",
            f"/appointment_types/{at['AppointmentType']}",
            where,
            {"appointment_type": {"name": "Long cleaning"}},
        ),
        (
            "type descriptors",
            "GET",
            f"/appointment_types/{at['AppointmentType']}/appointment_descriptors",
            where,
            None,
        ),
        ("available slots", "GET", "/available_slots", slots, None),
        ("list working hours", "GET", "/working_hours", here, None),
        ("show working hour", "GET", f"/working_hours/{at['WorkingHour']}", where, None),
        ("create working hour", "POST", "/working_hours", here, hour),
        (
            "change working hour",
            "PATCH",
            f"/working_hours/{at['WorkingHour']}",
            where,
            {"working_hour": {"end_time": "19:00"}},
        ),
        ("working hour labels", "GET", "/working_hour_labels", here, None),
        ("list recall types", "GET", "/recall_types", here, None),
        ("list patient recalls", "GET", "/patient_recalls", here, None),
        ("show location", "GET", f"/locations/{at['location']}", {}, None),
        (
            "location descriptors",
            "GET",
            f"/locations/{at['location']}/appointment_descriptors",
            {},
            None,
        ),
        ("delete working hour", "DELETE", f"/working_hours/{at['WorkingHour']}", where, None),
        (
            "delete appointment type",
            "DELETE",
            f"/appointment_types/{at['AppointmentType']}",
            here,
            None,
        ),
    ]


def call(api: Api, method: str, path: str, query: dict, body):
    headers = api._headers(None)
    return api.client.open(
        f"/api{path}", method=method, query_string=query, json=body, headers=headers
    )


def rows_at(location_id: int) -> list:
    """Every record of the location, as values: what a refused write must leave as it was."""
    return [
        sorted(
            tuple(row)
            for row in db.session.execute(
                select(model.__table__).where(model.location_id == location_id)
            )
        )
        for model in MODELS
    ]


def assert_refused_everywhere(api, subdomain: str, at: dict) -> None:
    before = rows_at(at["location"])
    for label, method, path, query, body in cases(subdomain, at):
        response = call(api, method, path, query, body)
        assert response.status_code in (403, 404), (label, response.status_code, response.json)
        assert response.json["data"] is None and response.json["error"], label
    assert rows_at(at["location"]) == before
    assert db.session.scalar(select(func.count(PendingWrite.id))) == 0


def test_a_location_without_a_grant_is_out_of_reach_for_every_record_endpoint(world):
    practice, api = world
    second = db.session.scalar(select(Location.id).where(Location.foreign_id == "2"))
    granted, ungranted = place(practice.location_id), place(second)
    assert ungranted["Patient"] is not None  # the second office really has records

    assert_refused_everywhere(api, practice.subdomain, ungranted)

    for label, method, path, query, body in cases(practice.subdomain, granted):
        response = call(api, method, path, query, body)
        assert response.status_code < 300, (label, response.status_code, response.json)
        text = json.dumps(response.json) if response.data else ""
        assert f'"location_id": {ungranted["location"]},' not in text, label
    listed = call(api, "GET", "/appointments", cases(practice.subdomain, granted)[7][3], None)
    assert {a["location_id"] for a in listed.json["data"]} == {practice.location_id}


def test_a_deactivated_grant_closes_every_record_endpoint(world):
    practice, api = world
    db.session.execute(db.update(LocationGrant).values(status=GrantStatus.DEACTIVATED))
    db.session.commit()

    assert_refused_everywhere(api, practice.subdomain, place(practice.location_id))
