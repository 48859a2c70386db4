"""Recall types and patients' recalls, appointment descriptors, include[] on an appointment,
a patient's address and phones, and a full PATCH of an appointment."""

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.records import Appointment, PatientRecall, RecallType
from tests.api.conftest import first_provider, new_patient_body

WINDOW = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}


def _rows(model, location_id: int) -> list:
    return db.session.scalars(
        select(model).where(model.location_id == location_id).order_by(model.id)
    ).all()


def test_recall_types_and_one_by_id(api, sandbox):
    listed = api.get("/recall_types", **sandbox.at_location).get_json()["data"]
    assert [(r["name"], r["interval_num"], r["interval_unit"]) for r in listed][0] == (
        "Prophy",
        6,
        "M",
    )
    one = api.get(f"/recall_types/{listed[1]['id']}", subdomain=sandbox.subdomain).get_json()
    assert one["data"]["name"] == "Perio maintenance"


def test_patient_recalls_are_filtered(api, sandbox):
    recalls = _rows(PatientRecall, sandbox.location_id)
    target = recalls[4]
    at = sandbox.at_location

    def ids(**query):
        response = api.get("/patient_recalls", **at, **query)
        assert response.status_code == 200, response.get_json()
        return [r["id"] for r in response.get_json()["data"]]

    assert ids(patient_id=target.patient_id) == [
        r.id for r in recalls if r.patient_id == target.patient_id
    ]
    assert ids(recall_id=target.recall_type_id) == [
        r.id for r in recalls if r.recall_type_id == target.recall_type_id
    ]
    assert ids(foreign_id=target.foreign_id) == [target.id]
    cut = date.today()
    assert ids(due_after=cut.isoformat()) == [r.id for r in recalls if r.date_due > cut]
    dues = [
        r["date_due"] for r in api.get("/patient_recalls", sort="date_due", **at).get_json()["data"]
    ]
    assert dues == sorted(dues)
    shown = api.get(f"/patient_recalls/{target.id}", subdomain=sandbox.subdomain).get_json()
    assert shown["data"]["recall_type"]["id"] == target.recall_type_id


def test_descriptors_of_a_location_a_type_and_an_appointment(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    codes = [
        d["code"]
        for d in api.get(f"/locations/{sandbox.location_id}/appointment_descriptors").get_json()[
            "data"
        ]
    ]
    assert set(codes) == {"D1110", "D0120", "D0274", "D2391", "D9310"}
    appointment = _rows(Appointment, sandbox.location_id)[0]
    kind = appointment.appointment_type_id
    of_type = api.get(f"/appointment_types/{kind}/appointment_descriptors", **where).get_json()
    of_appt = api.get(f"/appointments/{appointment.id}/appointment_descriptors", **where).get_json()
    assert of_type["data"] == of_appt["data"] and of_type["count"] >= 1


def test_include_nests_related_records_in_an_appointment(api, sandbox):
    appointment = _rows(Appointment, sandbox.location_id)[0]
    plain = api.get(f"/appointments/{appointment.id}", subdomain=sandbox.subdomain).get_json()
    assert "patient" in plain["data"] and "operatory" not in plain["data"]
    rich = api.client.get(
        f"/api/appointments/{appointment.id}",
        query_string=[
            ("subdomain", sandbox.subdomain),
            ("include[]", "operatory"),
            ("include[]", "appointment_type"),
            ("include[]", "descriptors"),
        ],
        headers=api._headers(None),
    ).get_json()["data"]
    assert rich["operatory"]["id"] == appointment.operatory_id
    assert rich["appointment_type"]["id"] == appointment.appointment_type_id
    assert rich["descriptors"]
    wrong = api.get(
        f"/appointments/{appointment.id}",
        subdomain=sandbox.subdomain,
        **{"include[]": "procedures"},
    )
    assert wrong.status_code == 400 and wrong.get_json()["error"][0].startswith("include[]")


def test_a_new_patient_keeps_their_address_and_phones(api, sandbox):
    bio = {
        "date_of_birth": "1980-02-03",
        "phone_number": "5550102030",
        "street_address": "12 Elm Street",
        "address_line_2": "Apt 4",
        "city": "Peoria",
        "state": "IL",
        "zip_code": "61602",
        "cell_phone_number": "(555) 010-9999",
        "home_phone_number": "5550108888",
    }
    body = new_patient_body(first_provider(sandbox.location_id), bio=bio)
    created = api.post("/patients", body, **sandbox.at_location)
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()["data"]["user"]["bio"]
    assert shown["address_line_1"] == "12 Elm Street" and shown["address_line_2"] == "Apt 4"
    assert shown["street_address"] == "12 Elm Street Apt 4"
    assert (shown["city"], shown["state"], shown["zip_code"]) == ("Peoria", "IL", "61602")
    assert shown["cell_phone_number"] == "5550109999"


def test_a_patch_reschedules_notes_and_refuses_a_clash(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    rows = _rows(Appointment, sandbox.location_id)
    mine = next(a for a in rows if not a.cancelled and not a.confirmed)
    other = next(a for a in rows if a.provider_id == mine.provider_id and a.id != mine.id)
    clash = api.patch(
        f"/appointments/{mine.id}", {"appt": {"start_time": other.start_time.isoformat()}}, **where
    )
    assert clash.status_code == 400
    assert clash.get_json()["error"][0].startswith("appt.start_time overlaps")

    noted = api.patch(f"/appointments/{mine.id}", {"appt": {"note": "Bring X-rays"}}, **where)
    assert noted.get_json()["data"]["appt"]["note"] == "Bring X-rays"
    confirmed = api.patch(f"/appointments/{mine.id}", {"appt": {"confirmed": True}}, **where)
    assert confirmed.get_json()["data"]["appt"]["confirmed_at"] is not None


def test_recalls_of_another_organization_are_out_of_reach(api, sandbox, other_sandbox):
    theirs = _rows(RecallType, other_sandbox.location_id)[0].id
    assert api.get(f"/recall_types/{theirs}", subdomain=sandbox.subdomain).status_code == 404
    assert api.get("/patient_recalls", **other_sandbox.at_location).status_code == 403
