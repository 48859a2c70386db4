"""`flask worker`: the process that does all deferred work, until stopped.

Requests only write rows (outbox emails, jobs); the worker acts on them. Several workers
on several machines share the work safely on PostgreSQL (every claim is a conditional
UPDATE, batches use FOR UPDATE SKIP LOCKED); SQLite runs one worker. New kinds of work plug
in here: a task for each queue, a handler for each job kind, a period for each chore.
"""

import fcntl
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask

from portal.config import Config
from portal.extensions import db
from portal.services import request_log
from portal.services.delivery import jobs, outbox, periodic
from portal.services.imports import applying
from portal.services.onboarding import consent, hosted
from portal.services.records import pending_writes
from portal.services.syncs import alerts
from portal.services.webhooks import deliveries, delivery_log

log = logging.getLogger("portal.worker")

# Each kind of job and what runs it.
JOB_KINDS: dict[str, jobs.Kind] = {
    applying.APPLY_JOB: jobs.Kind(applying.run_apply_job, failed=applying.apply_job_failed),
}


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[str], int]  # takes the worker's name, returns how much work it did
    every: timedelta | None = None  # None: on every pass; else once per period, any worker


TASKS = [
    Task("outbox", outbox.send_due),
    Task("jobs", lambda worker: jobs.run_next(worker, JOB_KINDS)),
    Task("expire access requests", lambda _: consent.expire_due(), every=timedelta(hours=1)),
    Task("webhook events", deliveries.fan_out),
    Task("webhooks", deliveries.send_due),
    Task("sync alerts", alerts.check, every=timedelta(seconds=Config.SYNC_ALERT_CHECK_SECONDS)),
    Task("onboarding statuses", hosted.follow_all, every=timedelta(minutes=1)),
    Task("webhook log retention", delivery_log.forget_old, every=timedelta(hours=1)),
    Task(
        "pending write timeouts",
        pending_writes.time_out_due,
        every=timedelta(seconds=Config.PENDING_WRITE_CHECK_SECONDS),
    ),
    Task("request log retention", request_log.forget_old, every=timedelta(hours=1)),
]


def name() -> str:
    """Who claims: host, process and a random part (tests run workers as threads)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_pass(worker: str, tasks: list[Task] = TASKS) -> int:
    """Run every task once; returns how much work was done. A failing task is logged and
    the others still run."""
    done = 0
    for task in tasks:
        try:
            if task.every is None or periodic.claim(task.name, task.every, worker):
                done += task.run(worker)
        except Exception:
            db.session.rollback()
            log.exception("worker task failed", extra={"task": task.name})
    return done


def run_until_idle(worker: str | None = None, max_passes: int = 1000) -> int:
    """Passes until nothing is left to do (tests, `flask worker --until-idle`)."""
    worker, total = worker or name(), 0
    for _ in range(max_passes):
        done = run_pass(worker)
        total += done
        if not done:
            break
    return total


def run(app: Flask, stop: threading.Event, *, poll_seconds: float | None = None) -> None:
    """Work until `stop` is set: right away while there is work, else every `poll_seconds`."""
    worker = name()
    poll = poll_seconds or app.config["WORKER_POLL_SECONDS"]
    with app.app_context(), _only_worker_on_sqlite():
        log.info("worker started", extra={"worker": worker})
        while not stop.is_set():
            try:
                done = run_pass(worker)
            finally:
                db.session.remove()
            if not done:
                stop.wait(poll)
        log.info("worker stopped", extra={"worker": worker})


class WorkerAlreadyRunning(RuntimeError):
    pass


class _only_worker_on_sqlite:
    """SQLite has one writer at a time: a second worker would only wait on the first."""

    def __enter__(self):
        self.handle = None
        url = db.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return self
        self.handle = Path(url.database + ".worker.lock").open("w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self.handle.close()
            raise WorkerAlreadyRunning(
                "Another worker already runs on this SQLite database; SQLite runs one."
            ) from exc
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.close()  # closing releases the lock
