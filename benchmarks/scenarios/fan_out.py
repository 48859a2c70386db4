"""Webhook fan-out to a local receiver: 2,000 `patient_updated` events of organization 1's
sandbox practice, each fanned out to the one subscribed endpoint and delivered (signed
POST) by `flask worker` processes to a receiver on loopback in a process of its own that
answers 200 at once. Two workers on PostgreSQL; one on SQLite, where a second worker only
waits for the first (`worker._only_worker_on_sqlite`). The workers are started and idle
before the events are committed; the clock runs from that commit until the receiver has
every message. Budget 500 deliveries/s."""

import time

from benchmarks import sandboxes, webhook_rig
from benchmarks.context import BIG_ORG, Bench
from portal.extensions import db
from portal.models import Location, Mode
from portal.services import events

FAN_OUT_BUDGET_PER_S = 500
PATH = "/bench-hook"
EVENT = "patient_updated"


def webhook_fan_out(bench: Bench) -> None:
    count = bench.scale.deliveries
    workers_count = 2 if bench.database == "PostgreSQL" else 1
    with webhook_rig.receiver(PATH) as receiver, bench.app.app_context():
        location = db.session.get(Location, sandboxes.location_id_in(bench.scale, BIG_ORG))
        institution = location.institution
        organization = webhook_rig.endpoint(Mode.SANDBOX, receiver.url, EVENT, institution)
        webhook_rig.skip_earlier_events()
        with webhook_rig.workers(bench, workers_count) as workers:
            before = receiver.received.value
            events.record_all(
                EVENT,
                organization=organization,
                mode=Mode.SANDBOX,
                institution=institution,
                payloads=[{"patients": [{"id": n}]} for n in range(count)],
            )
            db.session.commit()
            started = time.perf_counter()
            arrived = lambda: receiver.received.value - before >= count  # noqa: E731
            finished = webhook_rig.until(arrived, workers)
    bench.result(
        f"Webhook fan-out to a local receiver ({count:,} deliveries)",
        "deliveries/s",
        count / (finished - started),
        budget=FAN_OUT_BUDGET_PER_S,
        note=f"{workers_count} flask worker process(es), from the events' commit to the last",
    )
