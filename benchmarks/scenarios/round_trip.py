"""The pending-write round trip: a production API key of organization 1 books an appointment
(`POST /api/appointments`) at a live location whose Synchronizer is installed; the
Synchronizer, simulated in this process over its own endpoints with its agent token,
collects the write (`/synchronizer/v1/writes/collect`) and reports it applied
(`/writes/results`) at once; a `flask worker` process polling every 0.1 s fans the
`appointment_insertion.complete` event out and delivers it to a receiver on loopback in a
process of its own, subscribed to it. The work waiting in the generated world (alerts for
its stale syncs) is done before the clock starts. One booking at a time: the next is made
once the receiver has the previous one's message. Each round trip is timed from the POST's
answer to the message's arrival (one monotonic clock for every process). Budget: p99 <= 2 s."""

import json
import queue
import statistics
import time
from datetime import timedelta

from sqlalchemy import select

from benchmarks import practices, webhook_rig
from benchmarks.context import BIG_ORG, Bench
from benchmarks.scenarios.api_load import raw_key
from portal import clock, worker
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Location,
    LocationGrant,
    Mode,
    Sync,
    SyncStage,
)
from portal.records import Patient, Provider

ROUND_TRIP_BUDGET_MS = 2_000  # p99
PATH = "/bench-round-trip"
EVENT = "appointment_insertion"
SYNC = "/synchronizer/v1"


def _live_location() -> Location:
    """Organization 1's first location with an active grant, a live production enrollment
    and an installed Synchronizer."""
    return db.session.scalars(
        select(Location)
        .join(LocationGrant, LocationGrant.location_id == Location.id)
        .join(Enrollment, Enrollment.id == LocationGrant.enrollment_id)
        .join(Sync, Sync.id == Location.sync_id)
        .where(
            Enrollment.organization_id == BIG_ORG,
            Enrollment.mode == Mode.PRODUCTION,
            Enrollment.status == EnrollmentStatus.LIVE,
            LocationGrant.status == GrantStatus.ACTIVE,
            Sync.status == SyncStage.ACTIVE,
        )
        .order_by(Location.id)
        .limit(1)
    ).one()


def _chart(bench: Bench, client, agent: dict, location: Location, tag: str) -> dict:
    """A provider of this run (so earlier runs' bookings are not in its way) and a patient,
    uploaded by the Synchronizer; the booking's fields naming them."""
    uploads = {
        "providers": [{"foreign_id": f"BRT-D{tag}", "last_name": "Molar"}],
        "patients": [{"foreign_id": "BRT-P1", "last_name": "Roundtrip"}],
    }
    for kind, records in uploads.items():
        body = {"location_foreign_id": location.foreign_id, "records": records}
        _ok(client.post(f"{SYNC}/uploads/{kind}", json=body, headers=agent))
    with bench.app.app_context():
        named = {"provider_id": (Provider, f"BRT-D{tag}"), "patient_id": (Patient, "BRT-P1")}
        return {
            field: db.session.scalar(
                select(model.id).where(
                    model.location_id == location.id, model.foreign_id == foreign_id
                )
            )
            for field, (model, foreign_id) in named.items()
        }


def _apply_writes(client, agent: dict, tag: str) -> int:
    """The Synchronizer's turn: collect what waits and report every write applied."""
    writes = _ok(client.post(f"{SYNC}/writes/collect", headers=agent))["writes"]
    if writes:
        results = [{"id": w["id"], "foreign_id": f"BRT{tag}-{w['id']}"} for w in writes]
        _ok(client.post(f"{SYNC}/writes/results", json={"results": results}, headers=agent))
    return len(writes)


def _ok(answer) -> dict:
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"{answer.request.path} answered {answer.status_code}: {answer.text}")
    return answer.json["data"]


def _arrival(receiver, appointment_id: int, workers) -> float:
    """When the receiver got this appointment's `appointment_insertion.complete`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in workers):
            raise RuntimeError("a worker stopped; see .bench/worker.log")
        try:
            arrived, body = receiver.arrivals.get(timeout=1)
        except queue.Empty:
            continue
        message = json.loads(body)
        if message["data"]["appointment"]["id"] == appointment_id:
            if message["event_name"] != f"{EVENT}.complete":
                raise RuntimeError(f"booking {appointment_id}: {message['event_name']}")
            return arrived
    raise RuntimeError(f"booking {appointment_id}'s webhook did not arrive within 60 s")


def pending_write_round_trip(bench: Bench) -> None:
    count, tag = bench.scale.round_trips, clock.now().strftime("%Y%m%d%H%M%S")
    key, client = raw_key(bench, Mode.PRODUCTION), bench.app.test_client()
    token = _ok(client.post("/api/authenticates", headers={"Authorization": key}))["token"]
    api = {"Authorization": f"Bearer {token}"}
    took = []
    with webhook_rig.receiver(PATH, timestamps=True) as receiver:
        with bench.app.app_context():
            location = _live_location()
            webhook_rig.endpoint(Mode.PRODUCTION, receiver.url, EVENT, location.institution)
            where = f"/api/appointments?subdomain={location.institution.subdomain}"
            where += f"&location_id={location.id}"
            db.session.expunge(location)
        agent = {"Authorization": f"Bearer {practices.agent_token(location.sync_id)}"}
        appt = _chart(bench, client, agent, location, tag)
        _apply_writes(client, agent, tag)  # an earlier, interrupted run's leftovers
        with bench.app.app_context():
            webhook_rig.skip_earlier_events()
            # Earlier scenarios' leftovers are the worker's first pass, not the round trip's
            # (and, as in the scenario's worker, no sync counts as stale).
            stale_minutes = bench.app.config["SYNC_STALE_MINUTES"]
            bench.app.config.update({k: float(v) for k, v in webhook_rig.NO_STALE_SYNCS.items()})
            try:
                worker.run_until_idle()
            finally:
                bench.app.config["SYNC_STALE_MINUTES"] = stale_minutes
        first = (clock.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        with webhook_rig.workers(bench, 1) as workers:
            for n in range(count):
                start = first + timedelta(minutes=30 * n)
                body = {"appt": appt | {"start_time": start.isoformat()}}
                booked = _ok(client.post(where, json=body, headers=api))
                answered = time.monotonic()
                if _apply_writes(client, agent, tag) != 1:
                    raise RuntimeError("the Synchronizer did not collect exactly the booking")
                took.append(_arrival(receiver, booked["appt"]["id"], workers) - answered)
    p50, p99 = (statistics.quantiles(took, n=100, method="inclusive")[i] for i in (49, 98))
    bench.result(
        f"Pending-write round trip, p99 ({count} bookings)",
        "ms",
        p99 * 1000,
        budget=ROUND_TRIP_BUDGET_MS,
        note=f"p50 {p50 * 1000:,.0f} ms, slowest {max(took) * 1000:,.0f} ms; one flask worker "
        f"polling every {webhook_rig.POLL_SECONDS} s, the Synchronizer applying at once",
    )
