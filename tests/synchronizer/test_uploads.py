"""Uploads of the practice's records: upserted by foreign id, deletions inactivate or remove,
a repeated batch changes nothing, and every bad batch is refused with a message and changes
nothing."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Event, RecordUpload
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider, WorkingHour
from tests.practice_world import V1, chart, live_practice, office, upload, upload_chart

TABLES = (Provider, Operatory, AppointmentType, WorkingHour, Patient, Appointment, RecordUpload)


@pytest.fixture
def practice(client):
    return live_practice(client)


def everything():
    """Every uploaded row, as values: what a refused batch must leave as it was."""
    return [
        sorted(tuple(row) for row in db.session.execute(select(model.__table__)).all())
        for model in (*TABLES, Event)
    ]


def test_a_practice_uploads_its_chart_and_the_records_point_at_each_other(client, practice):
    upload_chart(client, practice, chart(patients=3, appointments=2))

    appointment = db.session.scalar(select(Appointment).where(Appointment.foreign_id == "A2"))
    assert appointment.location_id == practice.location_id
    assert appointment.patient.foreign_id == "P2" and appointment.provider.foreign_id == "D1"
    assert appointment.appointment_type.name == "Cleaning"
    hours = db.session.scalar(select(WorkingHour))
    assert hours.days == "Monday,Tuesday,Wednesday,Thursday,Friday" and hours.source == "synced"
    counts = {u.kind: u.created for u in db.session.scalars(select(RecordUpload))}
    assert counts == {
        "providers": 2,
        "operatories": 1,
        "appointment_types": 1,
        "working_hours": 1,
        "patients": 3,
        "appointments": 2,
    }


def test_the_same_batch_twice_changes_nothing(client, practice):
    records = chart()
    upload_chart(client, practice, records)
    before = everything()[:-2]  # the upload notes' times move; nothing else may

    again = upload(client, practice, "patients", records["patients"])

    assert again.status_code == 200
    assert again.json["data"] == {"created": 0, "updated": 0, "removed": 0, "unchanged": 3}
    assert everything()[:-2] == before
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_changes_update_by_foreign_id_and_later_news_becomes_events(client, practice):
    records = chart(patients=2, appointments=1)
    upload_chart(client, practice, records)
    assert db.session.scalar(select(func.count(Event.id))) == 0  # the first upload is not news

    moved = dict(records["appointments"][0], cancelled=True)
    newcomer = dict(records["patients"][0], foreign_id="P9", first_name="Nia")
    assert upload(client, practice, "appointments", [moved]).json["data"]["updated"] == 1
    assert upload(client, practice, "patients", [newcomer]).json["data"]["created"] == 1

    assert db.session.scalar(select(Appointment.cancelled).where(Appointment.foreign_id == "A1"))
    names = sorted(db.session.scalars(select(Event.name)))
    assert names == ["appointment_updated", "patient_created"]
    created = db.session.scalar(select(Event).where(Event.name == "patient_created"))
    assert created.payload["patient"]["foreign_id"] == "P9"
    assert created.payload["patient"]["first_name"] == "Nia"


def test_deletions_inactivate_people_and_remove_appointments(client, practice):
    upload_chart(client, practice, chart(patients=2, appointments=2))

    assert upload(client, practice, "appointments", deleted=["A1"]).json["data"]["removed"] == 1
    assert upload(client, practice, "patients", deleted=["P2"]).json["data"]["removed"] == 1
    assert upload(client, practice, "providers", deleted=["D2"]).json["data"]["removed"] == 1
    repeated = upload(client, practice, "patients", deleted=["P2", "P404"]).json["data"]

    assert repeated == {"created": 0, "updated": 0, "removed": 0, "unchanged": 2}
    at_office = Appointment.location_id == practice.location_id
    assert db.session.scalars(select(Appointment.foreign_id).where(at_office)).all() == ["A2"]
    assert db.session.scalar(select(Patient.inactive).where(Patient.foreign_id == "P2"))
    assert db.session.scalar(select(Provider.inactive).where(Provider.foreign_id == "D2"))


BACKWARDS = {
    "foreign_id": "A9",
    "patient_foreign_id": "P1",
    "provider_foreign_id": "D1",
    "start_time": "2030-01-01T10:00:00+00:00",
    "end_time": "2030-01-01T09:00:00+00:00",
}
BAD_BATCHES = [
    ("appointments", {"records": [BACKWARDS]}, 400, "end_time"),
    ("appointments", {"records": [dict(BACKWARDS, start_time="2030-01-01T08:00")]}, 400, "zone"),
    ("patients", {"records": [{"foreign_id": "P1", "last_name": 7}]}, 400, "last_name"),
    ("patients", {"records": [{"foreign_id": "P1", "last_name": "X", "age": 3}]}, 400, "age"),
    ("patients", {"records": "all of them"}, 400, "records"),
    ("appointments", {"records": [{"foreign_id": "A1"}]}, 400, "patient_foreign_id"),
    (
        "patients",
        {
            "records": [
                {"foreign_id": "P1", "last_name": "A"},
                {"foreign_id": "P1", "last_name": "B"},
            ]
        },
        400,
        "given twice",
    ),
    ("patients", {"records": [{"foreign_id": "P1", "last_name": "A"}], "deleted": ["P1"]}, 400, ""),
    (
        "patients",
        {"records": [{"foreign_id": "P1", "last_name": "A", "provider_foreign_id": "D404"}]},
        400,
        "provider_foreign_id",
    ),
    ("patients", {"location_foreign_id": "2", "records": []}, 403, "not one of"),
    ("invoices", {"records": []}, 404, "one of"),
    (
        "providers",
        {"records": [{"foreign_id": f"D{n}", "last_name": "X"} for n in range(1001)]},
        400,
        "records",
    ),
]


@pytest.mark.parametrize(("kind", "body", "status", "words"), BAD_BATCHES)
def test_every_bad_batch_is_refused_with_a_message_and_changes_nothing(
    client, practice, kind, body, status, words
):
    upload_chart(client, practice, chart(patients=1, appointments=1))
    before = everything()

    response = client.post(
        f"{V1}/uploads/{kind}", json={"location_foreign_id": "1", **body}, headers=practice.auth
    )

    assert response.status_code == status, response.json
    assert response.json["code"] is False and words in response.json["error"][0]
    assert everything() == before


def test_another_synchronizers_location_is_refused_and_nothing_changes(client, practice):
    other = live_practice(client, "Beta Labs", "bob@beta.example", where="2")
    assert upload(client, other, "providers", chart()["providers"], location="2").status_code == 200
    before = everything()

    for location in ("2", "99"):  # the other practice's office, and one nobody reported
        response = upload(
            client,
            practice,
            "providers",
            [{"foreign_id": "D7", "last_name": "X"}],
            location=location,
        )
        assert response.status_code == 403 and "not one of" in response.json["error"][0]
    assert everything() == before


def test_too_large_a_body_and_a_missing_token_are_refused(client, practice):
    huge = client.post(
        f"{V1}/uploads/patients",
        data='{"location_foreign_id": "1", "records": [], "x": "' + "x" * (2_200_000) + '"}',
        content_type="application/json",
        headers=practice.auth,
    )
    anonymous = client.post(f"{V1}/uploads/patients", json={"location_foreign_id": "1"})
    assert huge.status_code == 413 and "limited" in huge.json["error"][0]
    assert anonymous.status_code == 401
    assert db.session.scalar(select(func.count(RecordUpload.id))) == 0


def test_a_location_reported_later_can_be_uploaded_to(client, practice):
    now = "2026-01-01T00:00:00+00:00"
    beat = client.post(
        f"{V1}/heartbeat",
        json={"last_read_at": now, "locations": [office("1"), office("2")]},
        headers=practice.auth,
    )
    assert beat.status_code == 200
    assert (
        upload(
            client, practice, "operatories", [{"foreign_id": "O", "name": "Chair"}], location="2"
        ).status_code
        == 200
    )
