"""The email outbox drained to a local SMTP server: 2,000 queued emails (a password reset's,
rendered when queued, as requests queue them) sent by the worker's outbox step,
`outbox.send_due`, batch after batch (one connection per batch of 50) until the queue is
empty, in this process, to an aiosmtpd server on loopback in a process of its own (so it
takes no time from the worker's) that counts every message. Emails/s is the queue over the
time to drain it; the server must have received every one. Budget 200 emails/s."""

import multiprocessing
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from benchmarks import server
from benchmarks.context import Bench
from portal.extensions import db
from portal.services.delivery import outbox

OUTBOX_BUDGET_EMAILS_PER_S = 200


class _Counter:
    def __init__(self, received):
        self.received = received  # a multiprocessing.Value shared with the bench

    async def handle_DATA(self, server, session, envelope):
        with self.received.get_lock():
            self.received.value += 1
        return "250 OK"


def _serve(port: int, received, ready, stop) -> None:
    controller = Controller(_Counter(received), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@contextmanager
def _smtp_server(app):
    """An SMTP server on a free loopback port, and the app pointed at it meanwhile."""
    port = server.free_port()
    context = multiprocessing.get_context("spawn")  # nothing of this process's state
    received, ready, stop = context.Value("i", 0), context.Event(), context.Event()
    process = context.Process(target=_serve, args=(port, received, ready, stop), daemon=True)
    process.start()
    if not ready.wait(60):
        raise RuntimeError("the SMTP server did not start")
    mail = app.extensions["mail"]
    saved = app.config["MAIL_SERVER"], app.config["MAIL_PORT"], mail.suppress
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"], mail.suppress = "127.0.0.1", port, False
    try:
        yield received
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"], mail.suppress = saved
        stop.set()
        process.join(30)


def _queue(count: int) -> None:
    for n in range(count):
        outbox.enqueue(
            "password_reset",
            to=f"reader{n}@mail.example",
            subject="Reset your SyncPortal password",
            user={"name": f"Reader {n}"},
            reset_url=f"https://portal.example/reset/{n:08d}",
            minutes=60,
        )
    db.session.commit()


def outbox_to_smtp(bench: Bench) -> None:
    count = bench.scale.emails
    with bench.app.app_context(), _smtp_server(bench.app) as server:
        while outbox.send_due("bench outbox"):  # an earlier run's leftovers
            pass
        before = server.value
        _queue(count)
        started = time.perf_counter()
        sent = 0
        while batch := outbox.send_due("bench outbox"):
            sent += batch
        elapsed = time.perf_counter() - started
        received = server.value - before
    if sent != count or received != count:
        raise RuntimeError(f"queued {count} emails; {sent} sent, {received} received")
    bench.result(
        f"Outbox to a local SMTP server ({count:,} emails)",
        "emails/s",
        count / elapsed,
        budget=OUTBOX_BUDGET_EMAILS_PER_S,
        note=f"one worker, batches of {outbox.BATCH_SIZE}, one connection per batch",
    )
