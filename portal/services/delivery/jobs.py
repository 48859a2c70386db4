"""Queued jobs: long work taken off the request and run by `flask worker` (a CSV import's
apply; other kinds plug in through the worker's handler table).

    queued  -> running   one worker claims it (FOR UPDATE SKIP LOCKED on PostgreSQL)
    running -> done      the handler's changes and the result commit in one transaction
    running -> failed    the handler refused (its message is shown) or broke (rolled back)
    running -> queued    the claim lapsed (the worker stopped); tried again, then failed

A job reports progress (rows done of total) while its own transaction is still open, so
progress goes through a side channel the web pages can read before the job commits.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import Job, JobStatus, Organization
from portal.services import NotFound, PortalError
from portal.services.delivery import progress

J = JobStatus
STOPPED = "The job stopped several times without finishing; nothing of it was saved."


@dataclass(frozen=True)
class Kind:
    """What runs a kind of job. `run` must not commit: its changes commit with the job's
    result. `failed` tidies up in the transaction that marks the job failed."""

    run: Callable[[Job, progress.Reporter], dict]
    failed: Callable[[Job], None] = lambda job: None


def enqueue(kind: str, *, organization: Organization | None = None, **arguments) -> Job:
    """Queue a job in the caller's transaction (it runs once the caller commits)."""
    job = Job(
        kind=kind, arguments=arguments, organization_id=organization.id if organization else None
    )
    db.session.add(job)
    db.session.flush()
    return job


def get_for(organization: Organization, job_id: int) -> Job:
    """A job of `organization` (another organization's id is simply not found)."""
    job = db.session.get(Job, job_id)
    if job is None or job.organization_id != organization.id:
        raise NotFound("No such job.")
    return job


def progress_of(job: Job) -> tuple[int, int]:
    """(done, total) as the running job last reported it."""
    db.session.refresh(job)
    return progress.read(job)


def run_next(worker: str, kinds: dict[str, Kind]) -> int:
    """Claim the oldest due job and run it; returns 1 if a job ran, else 0."""
    _requeue_abandoned(kinds)
    job = _claim(worker)
    if job is None:
        return 0
    kind = kinds.get(job.kind) or Kind(_unknown)
    reporter = progress.reporter(job, lease=_lease())
    try:
        result = kind.run(job, reporter)
    except PortalError as error:
        _fail(job, kind, str(error))
    except Exception:
        current_app.logger.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
        _fail(job, kind, "The job stopped on an unexpected error; staff have been told.")
    else:
        job.status, job.result, job.finished_at = J.DONE, result, clock.now()
        job.done = job.total = max(job.total, reporter.total)
        db.session.commit()  # the handler's changes and the result, together
    finally:
        reporter.close()
    return 1


def _unknown(job: Job, _report) -> dict:
    raise PortalError(f"No worker knows jobs of kind {job.kind!r}.")


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_CLAIM_SECONDS"])


def _claim(worker: str) -> Job | None:
    now = clock.now()
    candidate = db.session.scalar(
        select(Job.id)
        .where(Job.status == J.QUEUED, Job.run_after <= now)
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claimed = 0
    if candidate is not None:
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == candidate, Job.status == J.QUEUED)
            .values(
                status=J.RUNNING,
                claimed_by=worker,
                claimed_until=now + _lease(),
                attempts=Job.attempts + 1,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    job = db.session.get(Job, candidate)
    db.session.refresh(job)
    return job


def _fail(job: Job, kind: Kind, message: str) -> None:
    db.session.rollback()  # nothing of the handler's work survives
    failed = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == J.RUNNING)
        .values(status=J.FAILED, error=message[:2000], finished_at=clock.now()),
        execution_options={"synchronize_session": False},
    )
    if failed.rowcount == 1:
        kind.failed(job)
    db.session.commit()


def _requeue_abandoned(kinds: dict[str, Kind]) -> None:
    now = clock.now()
    lapsed = (Job.status == J.RUNNING, Job.claimed_until < now)
    limit = current_app.config["JOB_MAX_ATTEMPTS"]
    # A stopped worker's transaction was rolled back by the database: run the job again.
    db.session.execute(
        update(Job)
        .where(*lapsed, Job.attempts < limit)
        .values(status=J.QUEUED, claimed_by="", claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    for job in db.session.scalars(select(Job).where(*lapsed, Job.attempts >= limit)).all():
        _fail(job, kinds.get(job.kind) or Kind(_unknown), STOPPED)
