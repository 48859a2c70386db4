"""Production data flowing for real: the web processes, a `flask worker` and the simulated
practice (`flask synchronizer practice`) as the Synchronizer over HTTP. The practice uploads
its chart; the production API serves it at the granted location only; a booking reaches the
practice and gets its foreign id; a booking the practice refuses fails with its reason; with
the practice's Synchronizer stopped, a booking times out."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, Location, Mode, WriteStatus
from portal.services.accounts import api_keys
from portal.services.syncs import keys, setup
from portal.simulated_practice import REASONS
from tests.deploy.harness import Deployment, Process, bin_dir, wait_until
from tests.onboarding import institution, upgraded
from tests.practice_flow import Client, next_saturday, practice_args, settled, write_of

PATIENTS = 150
TIMEOUT_SECONDS = 40


@pytest.fixture
def world():
    """A production institution waiting for its Synchronizer, and a production key."""
    admin = upgraded("Alpha Apps", "alice@alpha.example")
    enrollment = institution(admin)
    sync = setup.create_sync(enrollment, ehr="opendental", server_name="OD1", actor=admin)
    key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin).raw
    return enrollment.institution, sync, keys.product_key(sync), key


@pytest.fixture
def running(production_env):
    env = {
        **production_env,
        "API_RATE_LIMIT": "1000/second",
        "API_RECORDS_RATE_LIMIT": "1000/second",
        "PENDING_WRITE_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "PENDING_WRITE_CHECK_SECONDS": "1",
    }
    deployment = Deployment(env)
    yield deployment
    deployment.stop()


def simulator(deployment, base: str, token_file, *extra: str) -> Process:
    arguments = practice_args(base, token_file, *extra, patients=PATIENTS)
    command = [str(bin_dir() / "flask"), "--app", "app", *arguments]
    process = Process(command, deployment.env, f"simulator-{len(deployment.processes)}")
    deployment.processes.append(process)
    return process


def events_named(name: str) -> list[Event]:
    db.session.rollback()
    return db.session.scalars(select(Event).where(Event.name == name)).all()


def test_the_practice_uploads_takes_bookings_refuses_some_and_times_out_when_stopped(
    world, running, tmp_path
):
    place, sync, product_key, raw_key = world
    base = running.web(workers=2)
    running.worker()
    token_file = tmp_path / "agent-token"
    practice = simulator(running, base, token_file, "--product-key", product_key)

    def location_id():
        db.session.rollback()
        return db.session.scalar(select(Location.id).where(Location.sync_id == sync.id))

    assert wait_until(lambda: location_id() is not None), practice.output()[-2000:]
    api = Client(base, raw_key, place.subdomain)
    here = location_id()
    listed = lambda: api.get("/patients", location_id=here, per_page=1000).json()  # noqa: E731
    assert wait_until(lambda: len(listed()["data"] or []) >= PATIENTS), practice.output()[-2000:]

    # Reads: the granted location's chart, and nothing at a location without a grant.
    patients = listed()["data"]
    assert all(p["foreign_id"] and p["foreign_id_type"] for p in patients)
    window = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    appointments = api.get("/appointments", location_id=here, per_page=1000, **window).json()
    assert len(appointments["data"]) > 50
    annex = Location(institution_id=place.id, sync_id=sync.id, foreign_id="9", name="Annex")
    db.session.add(annex)
    db.session.commit()
    assert api.get("/patients", location_id=annex.id).status_code == 404
    assert api.get("/appointments", location_id=annex.id, **window).status_code == 404

    # A booking reaches the practice and comes back with the practice's id.
    provider = appointments["data"][0]["provider_id"]
    booked = api.book(here, patients[0]["id"], provider, next_saturday(14))["data"]["appt"]
    assert booked["foreign_id"] is None
    assert wait_until(lambda: settled(booked["id"], WriteStatus.COMPLETE)), practice.output()
    shown = api.get(f"/appointments/{booked['id']}").json()["data"]
    assert shown["foreign_id"] == write_of(booked["id"]).foreign_id
    assert [
        e.payload["appointment"]["id"] for e in events_named("appointment_insertion.complete")
    ] == [booked["id"]]

    # The same practice, now refusing every write: the booking fails with the practice's reason.
    assert practice.stop() == 0
    refusing = simulator(running, base, token_file, "--fail-share", "1")
    refused = api.book(here, patients[1]["id"], provider, next_saturday(16))["data"]["appt"]
    assert wait_until(lambda: settled(refused["id"], WriteStatus.FAILED)), refusing.output()
    assert write_of(refused["id"]).reason in REASONS
    assert write_of(refused["id"]).reason in refusing.output()
    assert api.get(f"/appointments/{refused['id']}").json()["data"]["foreign_id"] is None
    assert len(events_named("appointment_insertion.failed")) == 1

    # Nobody collects: the booking times out (the worker marks it).
    assert refusing.stop() == 0
    lost = api.book(here, patients[2]["id"], provider, next_saturday(18))["data"]["appt"]
    assert wait_until(
        lambda: settled(lost["id"], WriteStatus.TIMED_OUT), seconds=TIMEOUT_SECONDS + 60
    )
    assert len(events_named("appointment_insertion.timed_out")) == 1
