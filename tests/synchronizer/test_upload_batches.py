"""Uploads are written set by set: a batch costs the same statements whatever its size, only
the records that changed are rewritten, the events carry each record as the API shapes it,
whether the batch created or changed it, and the cycle collector rests while a batch runs."""

import gc
import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from portal import clock
from portal.extensions import db
from portal.models import Event, Location, Sync
from portal.records import Appointment, Patient
from portal.services.records import patient_search, record_events, uploads
from tests.practice_world import chart, live_practice, upload, upload_chart

FEW, MANY = 3, 120


@pytest.fixture
def practice(client):
    practice = live_practice(client)
    upload_chart(client, practice, chart(patients=1, appointments=0))  # the first upload
    return practice


def patients(prefix: str, count: int, city: str = "Springfield") -> list[dict]:
    return [
        {
            "foreign_id": f"{prefix}{n}",
            "first_name": f"Pat{n}",
            "last_name": "Upload",
            "email": f"pat{n}@upload.example",
            "date_of_birth": "1980-01-31",
            "provider_foreign_id": "D1",
            "city": city,
        }
        for n in range(count)
    ]


def statements(client, practice, records, *, whole=False) -> list[str]:
    """The first word (or `whole` text) of every statement that uploading `records` sends."""
    sent = []

    def record(_conn, _cursor, statement, *_args):
        word = statement.split()[0].upper()
        if whole:
            sent.append(statement)
        else:
            sent.append("INSERT" if word == "COPY" else word)  # PostgreSQL loads rows by COPY

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert upload(client, practice, "patients", records).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def test_a_batch_costs_the_same_statements_whatever_its_size(client, practice):
    costs = {}
    for prefix, size in (("F", FEW), ("M", MANY)):
        costs[size] = [
            statements(client, practice, patients(prefix, size)),  # created: news
            statements(client, practice, patients(prefix, size, city="Shelbyville")),
            statements(client, practice, patients(prefix, size, city="Shelbyville")),
        ]

    assert costs[FEW] == costs[MANY]
    created, updated, unchanged = costs[MANY]
    assert created.count("INSERT") == 2 and created.count("UPDATE") == 1  # rows, events; note
    assert updated.count("UPDATE") == 2 and updated.count("INSERT") == 1  # rows, note; events
    assert "INSERT" not in unchanged and unchanged.count("UPDATE") == 1  # the note only
    assert db.session.scalar(select(db.func.count(Event.id))) == 2 * (FEW + MANY)


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite takes lists of values; PostgreSQL takes arrays",
)
def test_a_batch_sends_the_same_statement_texts_whatever_its_size_on_postgresql(client, practice):
    # Foreign ids go as one array, not one placeholder each: the driver converts each text
    # once, not a thousand placeholders per batch. (The upload note's UPDATE names the
    # counts that changed since the last note: not compared.)
    for changed in ("Springfield", "Shelbyville"):
        few = statements(client, practice, patients("F", FEW, changed), whole=True)
        many = statements(client, practice, patients("M", MANY, changed), whole=True)
        assert [s for s in few if "record_uploads SET" not in s] == [
            s for s in many if "record_uploads SET" not in s
        ]


def test_only_the_records_that_changed_are_rewritten(client, practice):
    assert upload(client, practice, "patients", patients("Q", 3)).status_code == 200
    before = stored()

    sent = patients("Q", 4)
    sent[1]["city"] = "Shelbyville"
    sent[2]["last_name"] = "Renamed"
    with clock.travel(timedelta(hours=1)):
        answer = upload(client, practice, "patients", sent)

    assert answer.json["data"] == {"created": 1, "updated": 2, "removed": 0, "unchanged": 1}
    after = stored()
    assert after["Q0"] == before["Q0"]
    for changed in ("Q1", "Q2"):
        assert after[changed]["updated_at"] - before[changed]["updated_at"] >= timedelta(hours=1)
        assert after[changed]["created_at"] == before[changed]["created_at"]
    assert after["Q1"]["city"] == "Shelbyville" and after["Q1"]["last_name"] == "Upload"
    assert after["Q2"]["last_name"] == "Renamed" and after["Q2"]["city"] == "Springfield"
    assert after["Q3"]["created_at"] - before["Q0"]["created_at"] >= timedelta(hours=1)
    assert after["Q3"]["first_name"] == "Pat3" and after["Q3"]["provider_id"] is not None


def test_events_carry_each_record_as_the_api_shapes_it(client, practice):
    upload(client, practice, "patients", patients("Q", 5))
    changed = patients("Q", 7, city="Shelbyville")
    changed[0]["date_of_birth"], changed[1]["date_of_birth"] = "1990-05-06", None
    changed[2]["provider_foreign_id"], changed[3]["inactive"] = "D2", True
    assert upload(client, practice, "patients", changed).json["data"]["updated"] == 5

    location = db.session.get(Location, practice.location_id)
    rows = {row.foreign_id: row for row in db.session.scalars(select(Patient))}
    sent = db.session.scalars(select(Event).order_by(Event.id)).all()
    carried = [(e.name, e.payload["patient"]["foreign_id"]) for e in sent]
    first, created, updated = [f"Q{n}" for n in range(5)], ["Q5", "Q6"], [f"Q{n}" for n in range(5)]
    assert carried == (
        [("patient_created", f) for f in first + created]
        + [("patient_updated", f) for f in updated]
    )
    for event_row in sent[5:]:  # the second batch's, as the records are now
        foreign_id = event_row.payload["patient"]["foreign_id"]
        assert event_row.payload == record_events.payload(rows[foreign_id], location)
    assert sent[0].payload["patient"]["bio"]["city"] == "Springfield"


def test_changed_patients_are_read_back_when_the_list_rows_do_not_name_a_field(
    client, practice, monkeypatch
):
    renamed = [
        column.element.label("updated_text") if column.key == "updated_at_text" else column
        for column in patient_search.LISTED
    ]
    monkeypatch.setattr(patient_search, "LISTED", tuple(renamed))
    upload(client, practice, "patients", patients("Q", 2))

    answer = upload(client, practice, "patients", patients("Q", 2, city="Shelbyville"))

    assert answer.status_code == 200 and answer.json["data"]["updated"] == 2
    assert_events_carry_the_records_as_they_are(practice)


def test_records_that_send_different_fields_keep_what_they_did_not_send(client, practice):
    sync = db.session.get(Sync, practice.sync_id)
    first = [
        {"foreign_id": "S1", "last_name": "Ames", "first_name": "Abe"},
        {"foreign_id": "S2", "last_name": "Bell", "first_name": "Bea", "city": "Troy"},
    ]
    assert uploads.upload(sync, uploads.Batch("patients", "1", first)).created == 2

    again = [
        {"foreign_id": "S1", "last_name": "Ames", "email": "abe@example.com"},
        {"foreign_id": "S2", "last_name": "Bell-Hart"},
        {"foreign_id": "S3", "last_name": "Cole", "first_name": "Cy", "city": "Troy"},
    ]
    outcome = uploads.upload(sync, uploads.Batch("patients", "1", again))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 2, 0)
    found = stored()
    assert (found["S1"]["first_name"], found["S1"]["email"]) == ("Abe", "abe@example.com")
    assert found["S2"]["last_name"] == "Bell-Hart"
    assert (found["S2"]["first_name"], found["S2"]["city"]) == ("Bea", "Troy")
    assert (found["S3"]["city"], found["S3"]["email"]) == ("Troy", "")
    assert_events_carry_the_records_as_they_are(practice)


def test_a_moved_appointment_is_stored_at_the_moment_sent_whatever_its_zone(client, practice):
    [booked] = chart(patients=1, appointments=1)["appointments"]
    assert upload(client, practice, "appointments", [booked]).status_code == 200
    start = datetime.fromisoformat(booked["start_time"]) + timedelta(hours=1)
    zone = timezone(timedelta(hours=2))
    moved = dict(
        booked,
        start_time=start.astimezone(zone).isoformat(),
        end_time=(start + timedelta(minutes=30)).astimezone(zone).isoformat(),
        note="Moved",
    )

    answer = upload(client, practice, "appointments", [moved])

    assert answer.json["data"]["updated"] == 1
    row = db.session.scalar(select(Appointment).where(Appointment.foreign_id == "A1"))
    assert (row.start_time, row.end_time - row.start_time) == (start, timedelta(minutes=30))
    assert row.note == "Moved"
    [changed] = db.session.scalars(select(Event).where(Event.name == "appointment_updated"))
    location = db.session.get(Location, practice.location_id)
    assert changed.payload == record_events.payload(row, location)


@pytest.mark.parametrize("collecting", [True, False])
def test_the_cycle_collector_pauses_while_a_batch_is_applied_and_is_left_as_it_was(
    client, practice, collecting
):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        if "patients" in statement:
            seen.append(gc.isenabled())

    was_on = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        applied = upload(client, practice, "patients", patients("Q", 3))
        after_batch = gc.isenabled()
        twice = upload(client, practice, "patients", patients("Q", 2) * 2)
        after_refusal = gc.isenabled()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        (gc.enable if was_on else gc.disable)()
    assert applied.status_code == 200 and twice.status_code == 400
    assert seen and not any(seen)
    assert after_batch is after_refusal is collecting


def assert_events_carry_the_records_as_they_are(practice) -> None:
    location = db.session.get(Location, practice.location_id)
    rows = {row.foreign_id: row for row in db.session.scalars(select(Patient))}
    sent = db.session.scalars(select(Event).where(Event.name == "patient_updated")).all()
    assert sent
    for event_row in sent:
        foreign_id = event_row.payload["patient"]["foreign_id"]
        assert event_row.payload == record_events.payload(rows[foreign_id], location)


def stored() -> dict[str, dict]:
    """Every uploaded patient's columns, by foreign id."""
    rows = db.session.execute(select(Patient.__table__)).mappings()
    return {row["foreign_id"]: dict(row) for row in rows}
