"""Webhook fan-out to a local receiver: 2,000 `patient_updated` events of organization 1's
sandbox practice, each fanned out to the one subscribed endpoint and delivered (signed
POST) by `flask worker` processes to a receiver on loopback in a process of its own that
answers 200 at once. Two workers on PostgreSQL; one on SQLite, where a second worker only
waits for the first (`worker._only_worker_on_sqlite`). The workers are started and idle
before the events are committed; the clock runs from that commit until the receiver has
every message. Budget 500 deliveries/s."""

import multiprocessing
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import update

from benchmarks import database, sandboxes, server
from benchmarks.context import BIG_ORG, Bench
from portal import clock
from portal.extensions import db
from portal.models import Event, Location, Mode, Organization, User, WebhookEndpoint
from portal.services import events
from portal.services.webhooks import endpoints, subscriptions

FAN_OUT_BUDGET_PER_S = 500
PATH = "/bench-hook"
EVENT = "patient_updated"


def _receive(port: int, received, ready) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with received.get_lock():
                received.value += 1

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def _endpoint(bench: Bench, url: str):
    """Organization 1's bench endpoint, pointed at `url` (made and subscribed once)."""
    organization = db.session.get(Organization, BIG_ORG)
    admin = db.session.get(User, BIG_ORG)
    location = db.session.get(Location, sandboxes.location_id_in(bench.scale, BIG_ORG))
    found = db.session.scalar(
        db.select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == BIG_ORG,
            WebhookEndpoint.target_url.endswith(PATH),
        )
    )
    if found is not None:
        endpoints.change(found, target_url=url, active=True, by=admin)
        return organization, location.institution
    endpoint = endpoints.create(organization, Mode.SANDBOX, target_url=url, by=admin).endpoint
    subscriptions.subscribe(
        endpoint,
        resource_type=events.KINDS[EVENT].resource_type,
        event=EVENT,
        institution=location.institution,
        by=admin,
    )
    return organization, location.institution


def _skip_earlier_events() -> None:
    """Earlier scenarios' events (the upload scenario records 1,000 per batch, for practices
    no endpoint subscribes to) would be fanned out first: mark them done, so that the
    workers start with this scenario's events."""
    db.session.execute(
        update(Event).where(Event.fanned_out_at.is_(None)).values(fanned_out_at=clock.now())
    )
    db.session.commit()


def _log_lines() -> list[str]:
    path = database.BENCH_DIR / "worker.log"
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def _workers(bench: Bench, count: int) -> list[subprocess.Popen]:
    _workers.log_start = len(_log_lines())
    env = {
        **os.environ,
        "SYNCPORTAL_ENV": "development",
        "SECRET_KEY": bench.app.config["SECRET_KEY"],
        "DATABASE_URL": bench.url,
        "WORKER_POLL_SECONDS": "0.1",
        "FLASK_APP": "app.py",
    }
    log = open(database.BENCH_DIR / "worker.log", "ab")  # noqa: SIM115 (closed with the processes)
    flask = [sys.executable, "-m", "flask", "worker"]
    return [
        subprocess.Popen(flask, cwd=database.ROOT, env=env, stdout=log, stderr=log)
        for _ in range(count)
    ]


def webhook_fan_out(bench: Bench) -> None:
    count = bench.scale.deliveries
    port = server.free_port()
    context = multiprocessing.get_context("spawn")
    received, ready = context.Value("i", 0), context.Event()
    receiver = context.Process(target=_receive, args=(port, received, ready), daemon=True)
    receiver.start()
    workers_count = 2 if bench.database == "PostgreSQL" else 1
    try:
        if not ready.wait(60):
            raise RuntimeError("the webhook receiver did not start")
        with bench.app.app_context():
            organization, institution = _endpoint(bench, f"http://127.0.0.1:{port}{PATH}")
            _skip_earlier_events()
            workers = _workers(bench, workers_count)
            _until(lambda: _started(workers_count), workers)
            before = received.value
            events.record_all(
                EVENT,
                organization=organization,
                mode=Mode.SANDBOX,
                institution=institution,
                payloads=[{"patients": [{"id": n}]} for n in range(count)],
            )
            db.session.commit()
            started = time.perf_counter()
            finished = _until(lambda: received.value - before >= count, workers)
    finally:
        for worker in locals().get("workers", []):
            worker.terminate()
            worker.wait(60)
        receiver.terminate()
    bench.result(
        f"Webhook fan-out to a local receiver ({count:,} deliveries)",
        "deliveries/s",
        count / (finished - started),
        budget=FAN_OUT_BUDGET_PER_S,
        note=f"{workers_count} flask worker process(es), from the events' commit to the last",
    )


def _started(count: int) -> bool:
    """Whether `count` workers logged their start since `_workers` launched them."""
    fresh = _log_lines()[_workers.log_start :]
    return sum('"worker started"' in line for line in fresh) >= count


def _until(done, workers, seconds: float = 600) -> float:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the deliveries did not all arrive within 10 minutes")
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("a worker stopped; see .bench/worker.log")
        time.sleep(0.01)
    return time.perf_counter()
