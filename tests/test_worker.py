"""`flask worker`: periodic tasks once per period across workers, jobs claimed once and all
or nothing, and the real command running until stopped."""

import os
import select as io
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from portal import clock, worker
from portal.extensions import db
from portal.models import AccessRequest, JobStatus, Organization, RequestStatus
from portal.services import PortalError
from portal.services.delivery import jobs, outbox, periodic
from portal.services.onboarding import consent
from tests.onboarding import live_practice, upgraded
from tests.services.test_outbox import queue, rows

HOUR = timedelta(hours=1)


def test_a_periodic_task_runs_once_per_period_whichever_worker_asks():
    assert periodic.claim("chore", HOUR, "a:1") is True
    assert periodic.claim("chore", HOUR, "b:2") is False
    assert periodic.claim("chore", HOUR, "a:1") is False
    with clock.travel(HOUR + timedelta(seconds=1)):
        assert periodic.claim("chore", HOUR, "b:2") is True
        assert periodic.claim("chore", HOUR, "a:1") is False


def test_the_worker_expires_old_access_requests_without_cron(mailbox):
    consent.request_access(live_practice(), actor=upgraded("Bravo Apps", "b@bravo.example"))
    worker.run_until_idle("w:1")  # first pass: the hourly task runs (nothing is old yet)
    with clock.travel(timedelta(days=31)):
        worker.run_until_idle("w:1")
        assert mailbox.bodies_to("b@bravo.example")
    status = db.session.scalar(select(AccessRequest.status))
    assert status is RequestStatus.EXPIRED


def make_org() -> Organization:
    organization = Organization(name="Jobs Co", slug="jobs-co")
    db.session.add(organization)
    db.session.commit()
    return organization


def writes_an_org(job, report):
    report(1, 2)
    db.session.add(Organization(name=job.arguments["name"], slug=job.arguments["name"]))
    db.session.flush()
    report(2, 2)
    if job.arguments.get("refuse"):
        raise PortalError("Refused: nothing written.")
    if job.arguments.get("crash"):
        raise RuntimeError("boom")
    return {"made": job.arguments["name"]}


KINDS = {"test.write": jobs.Kind(writes_an_org)}


def org_count() -> int:
    return db.session.scalar(select(func.count(Organization.id)))


def test_a_job_runs_once_and_commits_its_work_with_its_result():
    job = jobs.enqueue("test.write", name="made-by-job")
    db.session.commit()
    assert jobs.run_next("w:1", KINDS) == 1
    assert jobs.run_next("w:2", KINDS) == 0
    db.session.refresh(job)
    assert (job.status, job.result, job.done, job.total) == (
        JobStatus.DONE,
        {"made": "made-by-job"},
        2,
        2,
    )
    assert org_count() == 1


def test_a_refused_or_broken_job_writes_nothing_and_says_why():
    refused = jobs.enqueue("test.write", name="refused", refuse=True)
    broken = jobs.enqueue("test.write", name="broken", crash=True)
    unknown = jobs.enqueue("test.nobody-knows")
    db.session.commit()
    while jobs.run_next("w:1", KINDS):
        pass
    for job in (refused, broken, unknown):
        db.session.refresh(job)
        assert job.status is JobStatus.FAILED
    assert refused.error == "Refused: nothing written."
    assert "unexpected error" in broken.error and "boom" not in broken.error
    assert "test.nobody-knows" in unknown.error
    assert org_count() == 0


def test_a_job_whose_worker_stopped_runs_again_then_fails_after_the_last_attempt(app):
    job = jobs.enqueue("test.write", name="again")
    db.session.commit()
    lease = timedelta(seconds=app.config["JOB_CLAIM_SECONDS"] + 1)
    for attempt in range(1, app.config["JOB_MAX_ATTEMPTS"] + 1):
        with clock.travel(lease * attempt):
            jobs._requeue_abandoned(KINDS)
            assert jobs._claim(f"dies:{attempt}") is not None  # claimed, then the worker died
    with clock.travel(lease * 10):
        assert jobs.run_next("w:9", KINDS) == 0
    db.session.refresh(job)
    assert job.status is JobStatus.FAILED and "stopped several times" in job.error
    assert org_count() == 0


def test_a_lapsed_job_is_taken_over_by_another_worker(app):
    job = jobs.enqueue("test.write", name="taken-over")
    db.session.commit()
    assert jobs._claim("dies:1") is not None
    assert jobs.run_next("w:2", KINDS) == 0  # still claimed
    with clock.travel(timedelta(seconds=app.config["JOB_CLAIM_SECONDS"] + 1)):
        assert jobs.run_next("w:2", KINDS) == 1
    db.session.refresh(job)
    assert job.status is JobStatus.DONE and job.claimed_by == "w:2" and job.attempts == 2


def start_worker(app, smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "SYNCPORTAL_ENV": "production",
        "SECRET_KEY": "worker-test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "BASE_URL": "https://portal.example.com",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "WORKER_POLL_SECONDS": "0.2",
        "FLASK_APP": "app.py",
    }
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return subprocess.Popen(
        [flask, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def said(process: subprocess.Popen, words: str, seconds: float = 60) -> bool:
    """Whether the process printed a line with `words` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = io.select([process.stdout], [], [], 0.5)
        line = process.stdout.readline() if ready else ""
        if words in line:
            return True
        if ready and not line:
            return False  # the process ended
    return False


def test_flask_worker_delivers_queued_email_until_stopped_by_sigterm(app, start_mailbox):
    mailbox = start_mailbox()
    process = start_worker(app, app.config["MAIL_PORT"])
    try:
        queue(3)
        assert wait_for(lambda: len(mailbox.received) == 3), "the worker sent nothing"
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert {e.status for e in rows()} == {outbox.S.SENT}


def test_sqlite_runs_one_worker_and_postgresql_runs_several(app, mail_settings):
    first = start_worker(app, mail_settings)
    started = [first]
    try:
        assert said(first, "worker started")
        second = start_worker(app, mail_settings)
        started.append(second)
        if db.engine.dialect.name == "sqlite":
            output = second.communicate(timeout=120)[0]
            assert second.returncode == 1 and "SQLite runs one" in output
            assert first.poll() is None
        else:
            assert said(second, "worker started")
            assert first.poll() is None and second.poll() is None
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
