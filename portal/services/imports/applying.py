"""Applying a previewed CSV import: everything in one transaction, or nothing.

From the pages, apply is a worker job (a 10,000-row file takes longer than a request may):

    previewed -> applying   the request claims the batch and queues the job
    applying  -> applied    the job's changes, the batch and the job's result commit together
    applying  -> previewed  the job refused (row errors now) or broke: nothing was written

`flask import-institutions --apply` applies in the foreground (previewed -> applied).
"""

from sqlalchemy import update

from portal import clock, readable
from portal.extensions import db
from portal.models import ImportBatch, ImportStatus, Job, Organization, User
from portal.services import Conflict, PortalError, audit, bulk, commit
from portal.services.delivery import jobs
from portal.services.imports import bulk_writes, import_rounds
from portal.services.imports.csv_import import Group, checked_rows, may_import
from portal.services.onboarding import consent
from portal.services.syncs import setup

APPLY_JOB = "import.apply"
ALREADY = "This file was already imported."


def queue_apply(batch: ImportBatch, *, actor: User | None) -> Job:
    """Hand a previewed batch to the worker. Raises Conflict if it was applied (or queued)
    already, Forbidden/NotFound as `upload` does."""
    organization = db.session.get(Organization, batch.organization_id)
    may_import(actor, organization)
    _claim(batch, ImportStatus.PREVIEWED, ImportStatus.APPLYING)
    job = jobs.enqueue(
        APPLY_JOB, organization=organization, batch_id=batch.id, user_id=actor.id if actor else None
    )
    batch.summary = {"job_id": job.id}
    audit.record("import.queued", actor=actor, organization=organization, target=batch)
    commit()
    return job


def job_of(batch: ImportBatch) -> Job | None:
    job_id = (batch.summary or {}).get("job_id")
    return db.session.get(Job, job_id) if job_id else None


def run_apply_job(job: Job, report) -> dict:
    """The worker's side: apply without committing (the worker commits with the result)."""
    batch = db.session.get(ImportBatch, job.arguments["batch_id"])
    user_id = job.arguments.get("user_id")
    actor = db.session.get(User, user_id) if user_id else None
    may_import(actor, db.session.get(Organization, batch.organization_id))  # may have changed
    summary = _apply(actor, batch, ImportStatus.APPLYING, report)
    return {"batch_id": batch.id, **summary}


def apply_job_failed(job: Job) -> None:
    """Nothing was written: the batch can be previewed and applied again."""
    db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == job.arguments["batch_id"],
            ImportBatch.status == ImportStatus.APPLYING,
        )
        .values(status=ImportStatus.PREVIEWED, summary={"failed_job_id": job.id}),
        execution_options={"synchronize_session": False},
    )


def apply(batch: ImportBatch, *, actor: User | None) -> dict:
    """Apply a previewed batch now, in one transaction (the command line).

    Raises Conflict if the batch was applied already, PortalError if any row has an error.
    """
    may_import(actor, db.session.get(Organization, batch.organization_id))
    summary = _apply(actor, batch, ImportStatus.PREVIEWED, lambda done, total: None)
    commit()
    db.session.refresh(batch)
    return summary


def _apply(actor: User | None, batch: ImportBatch, claimed_as: ImportStatus, report) -> dict:
    with bulk.collector_paused():
        return _apply_now(actor, batch, claimed_as, report)


def _apply_now(actor: User | None, batch: ImportBatch, claimed_as: ImportStatus, report) -> dict:
    organization = db.session.get(Organization, batch.organization_id)
    # Classified round by round as it is written: its kinds and counts are final only once
    # _apply_groups has returned.
    result = checked_rows(batch.content)
    if result.errors:
        errors = readable.plural(len(result.errors), "row error")
        raise PortalError(f"{errors}: fix the file and upload it again.")
    if claimed_as is ImportStatus.PREVIEWED:
        _claim(batch, ImportStatus.PREVIEWED, ImportStatus.APPLIED)
    report(0, total := len(result.rows))
    sync_ids = _apply_groups(actor, organization, result.groups, Progress(report, total))
    summary = {"counts": result.counts, "sync_ids": sync_ids}
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id)
        .values(status=ImportStatus.APPLIED, applied_at=clock.now(), summary=summary),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        "import.applied", actor=actor, organization=organization, target=batch, **result.counts
    )
    report(total, total)
    return summary


def _claim(batch: ImportBatch, before: ImportStatus, after: ImportStatus) -> None:
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == before)
        .values(status=after),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict(ALREADY)
    db.session.refresh(batch)


class Progress:
    """Rows done so far, told to the job's reporter."""

    def __init__(self, report, total: int):
        self.report, self.total, self.done = report, total, 0

    def __call__(self, rows: int) -> None:
        self.done += rows
        self.report(self.done, self.total)


def _apply_groups(actor: User | None, organization, groups: list[Group], progress) -> list[int]:
    """The new institutions (nearly all of a big file) are written set by set, each round as
    soon as it is classified; then matches and institutions enrolled already go through the
    services one by one. Returns the new syncs' ids in the file's order."""
    sync_ids, others = {}, []
    with (
        import_rounds.classified(organization, groups) as rounds,
        bulk_writes.writing(organization=organization, actor=actor, report=progress) as write,
    ):
        for found in rounds:
            others += found.others
            new = [
                (
                    group.details,
                    subdomain,
                    [(ehr, server) for _, ehr, server in import_rounds.todo(group)],
                    group.practice.normalised,
                )
                for group, subdomain in found.creating
            ]
            for (group, _), ids in zip(found.creating, write(new), strict=True):
                sync_ids[id(group)] = ids
    for group in others:
        sync_ids[id(group)] = _apply_group(actor, organization, group)
        progress(len(group.rows))
    return [sync_id for group in groups for sync_id in sync_ids[id(group)]]


def _apply_group(actor: User, organization: Organization, group: Group) -> list[int]:
    todo = import_rounds.todo(group)
    if not todo:
        return []
    import_rounds.attach(group)
    if group.match is not None:
        consent.add_request(group.match, organization=organization, actor=actor)
        return []
    return [
        setup.add_sync(group.enrollment, ehr=ehr, server_name=server, actor=actor).id
        for _, ehr, server in todo
    ]
