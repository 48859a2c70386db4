"""Every reference filter of the operations we serve either works (a test each below) or is
refused with a 400 naming it; no parameter is silently ignored."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider

WINDOW = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
FUTURE = (datetime.now(UTC) + timedelta(days=3)).isoformat()
PAST = "2000-01-01T00:00:00Z"


def _rows(model, location_id: int) -> list:
    return db.session.scalars(
        select(model).where(model.location_id == location_id).order_by(model.id)
    ).all()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [row["id"] for row in response.get_json()["data"]]


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/patients", "forms_syncable"),
        ("/appointments", "nex_only"),
        ("/appointments", "created_by"),
        ("/providers", "requestable"),
        ("/providers", "include[]"),
        ("/operatories", "include[]"),
        ("/locations", "filter_by_subscription_feature"),
        ("/patients", "no_such_filter"),
    ],
)
def test_a_filter_we_do_not_support_is_refused_naming_it(api, sandbox, path, parameter):
    query = {
        "/appointments": WINDOW | sandbox.at_location,
        "/locations": {},
        "/providers": {"subdomain": sandbox.subdomain},
    }.get(path, sandbox.at_location)
    response = api.get(path, **query, **{parameter: "1"})
    assert response.status_code == 400
    assert response.get_json()["error"] == [f"{parameter} is not supported by this operation."]


def test_patients_by_foreign_id(api, sandbox):
    patient = _rows(Patient, sandbox.location_id)[3]
    found = api.get("/patients", foreign_id=patient.foreign_id, **sandbox.at_location)
    assert _ids(found) == [patient.id]


def test_new_patients_are_those_not_seen_yet(api, sandbox):
    seen = set(
        db.session.scalars(
            select(Appointment.patient_id).where(
                Appointment.location_id == sandbox.location_id,
                Appointment.cancelled.is_(False),
                Appointment.start_time <= clock.now(),
            )
        )
    )
    every = [p.id for p in _rows(Patient, sandbox.location_id)]
    new = _ids(api.get("/patients", new_patient="true", **sandbox.at_location))
    known = _ids(api.get("/patients", new_patient="false", **sandbox.at_location))
    assert seen and new and known
    assert new == [p for p in every if p not in seen] and known == [p for p in every if p in seen]


def test_non_patient_and_location_strict(api, sandbox):
    every = [p.id for p in _rows(Patient, sandbox.location_id)]
    assert _ids(api.get("/patients", non_patient="true", **sandbox.at_location)) == []
    assert _ids(api.get("/patients", non_patient="false", **sandbox.at_location)) == every
    assert _ids(api.get("/patients", location_strict="true", **sandbox.at_location)) == every


def test_providers_by_ids_foreign_id_and_updated_since(api, sandbox):
    providers = _rows(Provider, sandbox.location_id)
    at = {"subdomain": sandbox.subdomain}
    wanted = [providers[0].id, providers[2].id]
    assert (
        _ids(
            api.client.get(
                "/api/providers",
                query_string=[("subdomain", sandbox.subdomain)] + [("ids[]", i) for i in wanted],
                headers=api._headers(None),
            )
        )
        == wanted
    )
    assert _ids(api.get("/providers", foreign_id=providers[1].foreign_id, **at)) == [
        providers[1].id
    ]
    assert _ids(api.get("/providers", updated_since=FUTURE, **at)) == []
    assert len(_ids(api.get("/providers", updated_since=PAST, **at))) == len(providers)


def test_operatories_by_foreign_id_and_updated_since(api, sandbox):
    operatories = _rows(Operatory, sandbox.location_id)
    found = api.get("/operatories", foreign_id=operatories[1].foreign_id, **sandbox.at_location)
    assert _ids(found) == [operatories[1].id]
    assert _ids(api.get("/operatories", updated_since=FUTURE, **sandbox.at_location)) == []


def test_appointments_by_type_foreign_id_and_unavailable(api, sandbox):
    appointments = _rows(Appointment, sandbox.location_id)
    kind = _rows(AppointmentType, sandbox.location_id)[0]
    query = WINDOW | sandbox.at_location
    by_type = _ids(api.get("/appointments", appointment_type_id=kind.id, **query))
    assert by_type and set(by_type) == {
        a.id for a in appointments if a.appointment_type_id == kind.id
    }
    target = appointments[5]
    assert _ids(api.get("/appointments", foreign_id=target.foreign_id, **query)) == [target.id]
    assert _ids(api.get("/appointments", unavailable="true", **query)) == []
    assert len(_ids(api.get("/appointments", unavailable="false", **query))) == len(appointments)


def test_appointments_without_a_location_cover_every_reachable_location(api, sandbox):
    every = _ids(api.get("/appointments", subdomain=sandbox.subdomain, **WINDOW))
    assert sorted(every) == [a.id for a in _rows(Appointment, sandbox.location_id)]


def test_appointments_in_another_time_zone(api, sandbox):
    query = WINDOW | sandbox.at_location | {"per_page": 1}
    row = api.get("/appointments", timezone="America/Los_Angeles", **query).get_json()["data"][0]
    assert row["timezone"] == "America/Los_Angeles"
    assert row["timezone_offset"] in ("-08:00", "-07:00")
    refused = api.get("/appointments", timezone="Mars/Olympus", **query)
    assert refused.status_code == 400 and refused.get_json()["error"][0].startswith("timezone ")


def test_sync_status_by_health_and_location(api, sandbox):
    def institutions(**query):
        response = api.get("/sync_status", **query)
        assert response.status_code == 200, response.get_json()
        return [row["institution_id"] for row in response.get_json()["data"]]

    mine = institutions()
    assert len(mine) == 1
    assert institutions(read_status="green", write_status="green") == mine
    assert institutions(read_status="red") == []
    assert institutions(**{"location_ids[]": sandbox.location_id}) == mine
    assert institutions(**{"location_ids[]": sandbox.location_id + 1000}) == []


def test_locations_by_foreign_id(api, sandbox):
    found = api.get("/locations", foreign_id="1").get_json()["data"]
    assert [loc["id"] for loc in found[0]["locations"]] == [sandbox.location_id]
    assert api.get("/locations", foreign_id="nope").get_json()["data"][0]["locations"] == []


def test_no_retry_after_on_a_success_but_on_a_429(api, sandbox, app, monkeypatch):
    ok = api.get("/patients", **sandbox.at_location)
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    monkeypatch.setitem(app.config, "API_RECORDS_RATE_LIMIT", "1/minute")
    api.get("/patients", **sandbox.at_location)
    limited = api.get("/patients", **sandbox.at_location)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
