"""Production bookings between real processes: a developer's app books two appointments
through the API of the app served on loopback; the simulated practice (`flask synchronizer
practice`, its own process) collects them, writes one and refuses the other (that patient's
chart is locked there); `flask worker` tells the developer's receiver, which checks every
signature: `appointment_insertion.complete` with the practice's id for the one, `.failed`
with the practice's reason for the other, each once."""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DeliveryStatus, Institution, Mode, WebhookDelivery, WriteStatus
from portal.records import Patient
from portal.services.accounts import api_keys
from portal.services.syncs import keys, setup
from portal.services.webhooks import endpoints, subscriptions
from portal.simulated_practice import CHART_LOCKED
from tests.deploy.harness import Process
from tests.onboarding import institution, upgraded
from tests.practice_flow import (
    Client,
    next_saturday,
    patient_foreign_ids,
    practice_args,
    settled,
    write_of,
)
from tests.processes.conftest import FLASK, wait_for

PATIENTS = 30


@dataclass
class World:
    place: Institution
    product_key: str
    raw_key: str


@pytest.fixture
def world(receiver) -> World:
    """A production institution waiting for its Synchronizer, a production key, and an
    endpoint at `receiver` subscribed to the institution's booking outcomes."""
    admin = upgraded("Alpha Apps", "alice@alpha.example")
    enrollment = institution(admin)
    sync = setup.create_sync(enrollment, ehr="opendental", server_name="OD1", actor=admin)
    raw_key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin).raw
    created = endpoints.create(
        admin.organization, Mode.PRODUCTION, target_url=receiver.url, by=admin
    )
    receiver.secret, receiver.strict = created.secret, True
    subscriptions.subscribe(
        created.endpoint,
        resource_type="Appointment",
        event="appointment_insertion",
        institution=enrollment.institution,
        by=admin,
    )
    return World(enrollment.institution, keys.product_key(sync), raw_key)


@pytest.fixture
def practice(live_server, tmp_path):
    """Starts the simulated practice against the served app; stopped at the end."""
    started: list[Process] = []

    def start(*extra: str) -> Process:
        arguments = practice_args(live_server, tmp_path / "agent", *extra, patients=PATIENTS)
        env = {"FLASK_APP": "app.py", "PATH": "/usr/bin:/bin"}
        started.append(Process([FLASK, *arguments], env, "practice"))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def patient_ids(*foreign_ids: str) -> dict[str, int]:
    db.session.rollback()  # the practice's uploads come from another process
    rows = db.session.execute(
        select(Patient.foreign_id, Patient.id).where(Patient.foreign_id.in_(foreign_ids))
    )
    return dict(rows.all())


def all_delivered() -> bool:
    db.session.rollback()
    statuses = db.session.scalars(select(WebhookDelivery.status)).all()
    return len(statuses) == 2 and all(s is DeliveryStatus.SUCCEEDED for s in statuses)


def test_a_written_booking_and_a_refused_one_each_reach_the_receiver_once_signed(
    world, live_server, receiver, workers, practice
):
    writes_to, locked = patient_foreign_ids(PATIENTS)[:2]
    worker = workers.start()
    office = practice("--product-key", world.product_key, "--refuse-patient", locked)
    wait_for(lambda: len(patient_ids(writes_to, locked)) == 2, what="the practice's patients")

    api = Client(live_server, world.raw_key, world.place.subdomain)
    [location] = api.get("/locations").json()["data"][0]["locations"]
    provider = api.get("/providers", location_id=location["id"]).json()["data"][0]["id"]
    ours = patient_ids(writes_to, locked)
    written = api.book(location["id"], ours[writes_to], provider, next_saturday(14))
    refused = api.book(location["id"], ours[locked], provider, next_saturday(16))
    written, refused = written["data"]["appt"], refused["data"]["appt"]

    wait_for(lambda: settled(written["id"], WriteStatus.COMPLETE), what="the written booking")
    wait_for(lambda: settled(refused["id"], WriteStatus.FAILED), what="the refused booking")
    wait_for(lambda: len(receiver.received) >= 2, what="both webhooks")
    wait_for(all_delivered, what="both deliveries recorded as delivered")
    assert office.stop() == 0
    workers.stop(worker)  # nothing is left to send: whatever came, came

    assert all(r.signature_ok for r in receiver.received)
    told = {m["event_name"]: m for m in receiver.messages()}
    assert sorted(told) == ["appointment_insertion.complete", "appointment_insertion.failed"]
    assert len(receiver.received) == 2  # each once
    complete, failed = told["appointment_insertion.complete"], told["appointment_insertion.failed"]
    assert complete["resource_type"] == failed["resource_type"] == "Appointment"
    assert complete["subdomain"] == failed["subdomain"] == world.place.subdomain

    foreign_id = write_of(written["id"]).foreign_id
    assert foreign_id  # the practice's id for the appointment it wrote
    assert complete["data"]["appointment"]["id"] == written["id"]
    assert complete["data"]["appointment"]["foreign_id"] == foreign_id
    shown = api.get(f"/appointments/{written['id']}").json()["data"]
    assert shown["foreign_id"] == foreign_id
    assert "reason" not in complete["data"]

    assert failed["data"]["appointment"]["id"] == refused["id"]
    assert failed["data"]["appointment"]["foreign_id"] is None
    assert failed["data"]["reason"] == CHART_LOCKED == write_of(refused["id"]).reason
    assert f"Write {write_of(refused['id']).id} refused: {CHART_LOCKED}" in office.output()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2
