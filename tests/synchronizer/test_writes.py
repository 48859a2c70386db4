"""Production writes through the API reach the practice through its Synchronizer: accepted
(201), collected, applied and reported; each outcome is an event; an unreported write times
out; staff retry or cancel one."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock, worker
from portal.extensions import db
from portal.models import AuditEvent, Event, PendingWrite, WriteStatus
from portal.records import Appointment, Patient
from portal.services import Forbidden
from portal.services.accounts import users
from portal.services.records import pending_writes
from tests.api.conftest import Api, bearer_token, new_patient_body
from tests.conftest import PASSWORD
from tests.practice_world import V1, chart, live_practice, upload_chart


@pytest.fixture
def practice(client):
    practice = live_practice(client)
    upload_chart(client, practice, chart(patients=2, appointments=0))
    return practice


@pytest.fixture
def api(client, practice):
    return Api(client, bearer_token(client, practice.raw_key))


def ours(model, foreign_id: str) -> int:
    return db.session.scalar(select(model.id).where(model.foreign_id == foreign_id))


def book(api, practice, hour=10):
    from portal.records import Provider

    start = (clock.now() + timedelta(days=3)).replace(hour=hour, minute=0, second=0, microsecond=0)
    body = {
        "appt": {
            "patient_id": ours(Patient, "P1"),
            "provider_id": ours(Provider, "D1"),
            "start_time": start.isoformat(),
        }
    }
    return api.post("/appointments", body, **practice.at_location)


def collect(client, practice) -> list[dict]:
    response = client.post(f"{V1}/writes/collect", headers=practice.auth)
    assert response.status_code == 200, response.json
    return response.json["data"]["writes"]


def report(client, practice, *results):
    return client.post(
        f"{V1}/writes/results", json={"results": list(results)}, headers=practice.auth
    )


def events() -> list[str]:
    return db.session.scalars(select(Event.name).order_by(Event.id)).all()


def test_a_booking_is_accepted_collected_written_and_announced(client, practice, api):
    booked = book(api, practice)
    assert booked.status_code == 201 and "Accepted" in booked.json["description"]
    appointment_id = booked.json["data"]["appt"]["id"]
    assert booked.json["data"]["appt"]["foreign_id"] is None

    [write] = collect(client, practice)
    assert write["kind"] == "appointment_create" and write["location_foreign_id"] == "1"
    assert write["appointment"]["patient_foreign_id"] == "P1"
    assert write["appointment"]["provider_foreign_id"] == "D1"
    answer = report(client, practice, {"id": write["id"], "foreign_id": "A500"})

    assert answer.json["data"]["results"] == [{"id": write["id"], "status": "complete"}]
    shown = api.get(f"/appointments/{appointment_id}", subdomain=practice.subdomain).json["data"]
    assert shown["foreign_id"] == "A500"
    assert events() == ["appointment_insertion.complete"]
    event = db.session.scalar(select(Event))
    assert event.payload["appointment"]["foreign_id"] == "A500"
    assert "reason" not in event.payload  # written: nothing to explain
    assert (
        report(client, practice, {"id": write["id"], "foreign_id": "A500"}).json["data"]["results"][
            0
        ]["status"]
        == "ignored"
    )
    assert events() == ["appointment_insertion.complete"]


def test_a_failed_booking_keeps_its_reason_frees_its_time_and_says_failed(client, practice, api):
    appointment_id = book(api, practice).json["data"]["appt"]["id"]
    [write] = collect(client, practice)

    report(client, practice, {"id": write["id"], "error": "The slot was taken at the practice."})

    stored = db.session.get(PendingWrite, write["id"])
    assert stored.status is WriteStatus.FAILED
    assert stored.reason == "The slot was taken at the practice."
    assert db.session.get(Appointment, appointment_id).cancelled
    assert book(api, practice).status_code == 201  # the same time can be booked again
    assert events() == ["appointment_insertion.failed"]
    told = db.session.scalar(select(Event)).payload
    assert told["appointment"]["id"] == appointment_id
    assert told["appointment"]["cancelled"] is True  # as GET /appointments/{id} shows it
    assert told["reason"] == "The slot was taken at the practice."


def test_an_unreported_write_times_out_once_and_a_late_result_changes_nothing(
    client, practice, api
):
    appointment_id = book(api, practice).json["data"]["appt"]["id"]
    collect(client, practice)
    write = db.session.scalar(select(PendingWrite))
    write.deadline_at = clock.now() - timedelta(seconds=1)
    db.session.commit()

    assert pending_writes.time_out_due() == 1
    assert pending_writes.time_out_due() == 0
    late = report(client, practice, {"id": write.id, "foreign_id": "A9"})

    assert late.json["data"]["results"][0]["status"] == "ignored"
    db.session.refresh(write)
    assert write.status is WriteStatus.TIMED_OUT
    assert db.session.get(Appointment, appointment_id).foreign_id == ""
    assert events() == ["appointment_insertion.timed_out"]
    told = db.session.scalar(select(Event)).payload
    assert told["reason"] == "The Synchronizer did not report in time."


def test_the_worker_times_writes_out(client, practice, api, app):
    book(api, practice)
    db.session.execute(
        db.update(PendingWrite).values(deadline_at=clock.now() - timedelta(seconds=1))
    )
    db.session.commit()
    worker.run_until_idle("test worker")
    assert db.session.scalar(select(PendingWrite.status)) is WriteStatus.TIMED_OUT


def test_a_new_patient_and_a_change_go_to_the_practice_too(client, practice, api):
    from portal.records import Provider

    created = api.post("/patients", new_patient_body(ours(Provider, "D1")), **practice.at_location)
    assert created.status_code == 201
    appointment_id = book(api, practice).json["data"]["appt"]["id"]
    patient_write, booking = collect(client, practice)
    report(client, practice, {"id": patient_write["id"], "foreign_id": "P77"})
    report(client, practice, {"id": booking["id"], "foreign_id": "A77"})

    changed = api.patch(
        f"/appointments/{appointment_id}",
        {"appt": {"note": "Bring X-rays", "confirmed": True}},
        subdomain=practice.subdomain,
    )
    assert changed.status_code == 201
    [change] = collect(client, practice)
    assert change["kind"] == "appointment_update"
    assert change["changed"] == ["note", "confirmed"]
    assert change["appointment"]["foreign_id"] == "A77"
    report(client, practice, {"id": change["id"]})

    assert patient_write["patient"]["last_name"] == "Writer"
    assert (
        db.session.scalar(select(Patient.foreign_id).where(Patient.last_name == "Writer")) == "P77"
    )
    assert events() == ["patient_created", "appointment_insertion.complete", "appointment_updated"]


def test_a_collected_write_is_handed_out_again_until_reported(client, practice, api):
    book(api, practice)
    first, again = collect(client, practice), collect(client, practice)
    assert [w["id"] for w in first] == [w["id"] for w in again]
    assert db.session.scalar(select(PendingWrite.attempts)) == 2


def test_bad_results_are_refused_and_change_nothing(client, practice, api):
    book(api, practice)
    [write] = collect(client, practice)
    other = live_practice(client, "Beta Labs", "bob@beta.example", where="2")

    stolen = report(client, other, {"id": write["id"], "foreign_id": "X"})
    empty = report(client, practice, {"id": write["id"]})
    twice = report(
        client, practice, {"id": write["id"], "foreign_id": "A"}, {"id": write["id"], "error": "no"}
    )
    wrong = report(client, practice, {"id": "one", "foreign_id": "A"})

    assert [r.status_code for r in (stolen, empty, twice, wrong)] == [404, 400, 400, 400]
    assert all(r.json["error"][0] for r in (stolen, empty, twice, wrong))
    assert db.session.scalar(select(PendingWrite.status)) is WriteStatus.APPLYING
    assert events() == []


def test_a_location_without_an_active_synchronizer_refuses_writes(client, practice, api):
    from portal.models import Sync, SyncStage

    db.session.execute(db.update(Sync).values(status=SyncStage.FAILED))
    db.session.commit()
    before = db.session.scalar(select(func.count(Appointment.id)))

    refused = book(api, practice)

    assert refused.status_code == 409 and "Synchronizer" in refused.json["error"][0]
    assert db.session.scalar(select(func.count(Appointment.id))) == before


def test_staff_retry_a_failed_write_and_cancel_an_open_one(client, practice, api):
    staff = users.create_staff("olive@ops.example", PASSWORD)
    appointment_id = book(api, practice).json["data"]["appt"]["id"]
    [write] = collect(client, practice)
    report(client, practice, {"id": write["id"], "error": "Chart locked"})
    staff_write = db.session.get(PendingWrite, write["id"])

    assert len(pending_writes.retry([staff_write], actor=staff).done) == 1
    assert db.session.get(Appointment, appointment_id).cancelled is False
    assert [w["id"] for w in collect(client, practice)] == [write["id"]]
    assert len(pending_writes.cancel([staff_write], actor=staff).done) == 1
    again = pending_writes.retry([staff_write], actor=staff)

    assert again.done == [] and "no longer failed" in again.skipped[0][1]
    db.session.refresh(staff_write)
    assert staff_write.status is WriteStatus.CANCELLED
    assert collect(client, practice) == []
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("pending_write.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["pending_write.retried", "pending_write.cancelled"]
    with pytest.raises(Forbidden):
        pending_writes.cancel([staff_write], actor=practice.admin)
