"""What the webhook scenarios share: a receiver on loopback in a process of its own that
answers 200 at once and counts (and, when asked, timestamps) every message; an endpoint of
organization 1 pointed at it and subscribed to one event; and `flask worker` processes
polling every 0.1 s, started and idle before the clock runs."""

import multiprocessing
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import update

from benchmarks import database, server
from benchmarks.context import BIG_ORG, Bench
from portal import clock
from portal.extensions import db
from portal.models import Event, Institution, Mode, Organization, User, WebhookEndpoint
from portal.services import events
from portal.services.webhooks import endpoints, subscriptions

POLL_SECONDS = "0.1"
# The generated world's sync times age while the bench runs, and a full world's first
# sync-alert check is a one-off catch-up (tens of thousands of alerts, and their emails)
# that would stand between these scenarios and what they measure: their workers treat no
# sync as stale.
NO_STALE_SYNCS = {"SYNC_STALE_MINUTES": str(10 * 365 * 24 * 60)}


def _receive(port: int, received, ready, arrivals) -> None:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections open between messages, as production receivers do
        # (the default HTTP/1.0 closed each one, so every delivery paid a new connection).
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived = time.monotonic()  # one clock for every process of the machine
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with received.get_lock():
                received.value += 1
            if arrivals is not None:
                arrivals.put((arrived, body))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


@dataclass
class Receiver:
    url: str
    received: object  # a multiprocessing.Value: messages so far
    arrivals: object = None  # a multiprocessing.Queue of (time.monotonic(), body), if asked


@contextmanager
def receiver(path: str, *, timestamps: bool = False):
    """A receiver at http://127.0.0.1:<free port><path> for the duration of the block."""
    port = server.free_port()
    context = multiprocessing.get_context("spawn")  # nothing of this process's state
    received, ready = context.Value("i", 0), context.Event()
    arrivals = context.Queue() if timestamps else None
    process = context.Process(target=_receive, args=(port, received, ready, arrivals), daemon=True)
    process.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the webhook receiver did not start")
        yield Receiver(f"http://127.0.0.1:{port}{path}", received, arrivals)
    finally:
        process.terminate()


def endpoint(mode: Mode, url: str, event: str, institution: Institution) -> Organization:
    """Organization 1's endpoint of `mode` for `url`'s path, pointed at `url` and subscribed
    to `event` of `institution` (made once; later runs point it at the new port)."""
    organization = db.session.get(Organization, BIG_ORG)
    admin = db.session.get(User, BIG_ORG)
    path = "/" + url.split("/", 3)[3]
    found = db.session.scalar(
        db.select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == BIG_ORG,
            WebhookEndpoint.mode == mode,
            WebhookEndpoint.target_url.endswith(path),
        )
    )
    if found is not None:
        endpoints.change(found, target_url=url, active=True, by=admin)
        return organization
    made = endpoints.create(organization, mode, target_url=url, by=admin).endpoint
    subscriptions.subscribe(
        made,
        resource_type=events.KINDS[event].resource_type,
        event=event,
        institution=institution,
        by=admin,
    )
    return organization


def skip_earlier_events() -> None:
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


@contextmanager
def workers(bench: Bench, count: int):
    """`count` `flask worker` processes on the bench database, each polling every 0.1 s when
    idle, yielded once every one has logged its start; stopped after the block."""
    log_start = len(_log_lines())
    env = {
        **os.environ,
        "SYNCPORTAL_ENV": "development",
        "SECRET_KEY": bench.app.config["SECRET_KEY"],
        "DATABASE_URL": bench.url,
        "WORKER_POLL_SECONDS": POLL_SECONDS,
        "FLASK_APP": "app.py",
        **NO_STALE_SYNCS,
    }
    flask = [sys.executable, "-m", "flask", "worker"]
    started = []
    with open(database.BENCH_DIR / "worker.log", "ab") as log:
        try:
            for _ in range(count):
                started.append(
                    subprocess.Popen(flask, cwd=database.ROOT, env=env, stdout=log, stderr=log)
                )

            def running() -> bool:
                fresh = _log_lines()[log_start:]
                return sum('"worker started"' in line for line in fresh) >= count

            until(running, started)
            yield started
        finally:
            for process in started:
                process.terminate()
                process.wait(60)


def until(done, processes, seconds: float = 600) -> float:
    """Wait for `done()` (checking every 10 ms); the time it came. Raises RuntimeError when
    it does not come within `seconds` or a worker stopped meanwhile."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the deliveries did not all arrive within {seconds:.0f} s")
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a worker stopped; see .bench/worker.log")
        time.sleep(0.01)
    return time.perf_counter()
