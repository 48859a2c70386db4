"""Resetting the sandbox puts its practice's seeded records back: patients an integration
created are gone, deleted or changed ones are as seeded; Viewers cannot reset it."""

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.models import AuditEvent, Location, Role
from portal.records import Appointment, Patient
from portal.services import Forbidden, commit
from portal.services.accounts import users
from portal.services.records import sandbox as seeding
from portal.services.records import sandbox_controls
from tests.api.conftest import first_provider, new_patient_body
from tests.conftest import PASSWORD, csrf_token, login

RESEEDED = sandbox_controls.RECORDS


def patients(location_id: int) -> list[tuple[str, str]]:
    query = select(Patient.first_name, Patient.last_name).where(Patient.location_id == location_id)
    return sorted(db.session.execute(query).tuples())


def test_a_reset_restores_the_seeded_patients(client, api, sandbox):
    seeded = patients(sandbox.location_id)
    assert len(seeded) == seeding.PATIENTS
    provider = first_provider(sandbox.location_id)
    created = api.post("/patients", new_patient_body(provider), **sandbox.at_location)
    assert created.status_code == 201
    db.session.execute(delete(Appointment).where(Appointment.location_id == sandbox.location_id))
    db.session.execute(delete(Patient).where(Patient.first_name == seeded[0][0]))
    commit()
    assert patients(sandbox.location_id) != seeded
    path = "/portal/sandbox/"
    login(client, "alice@alpha.example")
    assert "is deleted" in client.get(path).get_data(as_text=True)  # what stops, first
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    db.session.expire_all()
    assert patients(sandbox.location_id) == seeded
    appointments = select(func.count(Appointment.id)).where(
        Appointment.location_id == sandbox.location_id
    )
    assert db.session.scalar(appointments) == seeding.APPOINTMENTS
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sandbox.reset"))
    listed = api.get("/patients", **sandbox.at_location, per_page=100).get_json()
    assert len(listed["data"]) == len(seeded)


def test_viewers_cannot_reset_the_sandbox(sandbox):
    viewer = users.add_member(sandbox.organization, "v@alpha.example", "V", PASSWORD, Role.VIEWER)
    with pytest.raises(Forbidden):
        sandbox_controls.reset(sandbox.organization, actor=viewer)


def ids_of(model) -> set[int]:
    return set(db.session.scalars(select(model.id)))


def test_a_reset_gives_no_reseeded_record_an_id_that_existed_before(api, sandbox, other_sandbox):
    # SQLite hands out the highest deleted id again; a sequence never does. The reset must
    # behave like the sequence on both, or an integration's saved id names a seeded row.
    # Another organization's rows sit below the created patient, as on a shared database.
    provider = first_provider(sandbox.location_id)
    created = api.post("/patients", new_patient_body(provider), **sandbox.at_location)
    assert created.status_code == 201
    created_id = created.get_json()["data"]["user"]["id"]
    assert created_id == max(ids_of(Patient))
    before = {model: ids_of(model) for model in RESEEDED}

    sandbox_controls.reset(sandbox.organization, actor=sandbox.admin)

    db.session.expire_all()
    assert api.get(f"/patients/{created_id}", subdomain=sandbox.subdomain).status_code == 404
    for model in RESEEDED:
        reseeded = set(
            db.session.scalars(select(model.id).where(model.location_id == sandbox.location_id))
        )
        assert reseeded, model.__name__
        assert not reseeded & before[model], model.__name__


def test_seeded_appointments_fall_in_the_locations_opening_hours(sandbox):
    location = db.session.get(Location, sandbox.location_id)
    starts = db.session.scalars(
        select(Appointment.start_time).where(Appointment.location_id == location.id)
    ).all()
    opens, closes = (time.fromisoformat(t) for t in seeding.OPENING)
    local = [start.astimezone(ZoneInfo(location.tz)).time() for start in starts]
    assert starts and all(opens <= t < closes for t in local), sorted(local)
