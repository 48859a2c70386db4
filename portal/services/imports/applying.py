"""Applying a previewed CSV import: everything in one transaction, or nothing.

From the pages, apply is a worker job (a 10,000-row file takes longer than a request may):

    previewed -> applying   the request claims the batch and queues the job
    applying  -> applied    the job's changes, the batch and the job's result commit together
    applying  -> previewed  the job refused (row errors now) or broke: nothing was written

`flask import-institutions --apply` applies in the foreground (previewed -> applied).
"""

from sqlalchemy import update

from portal import clock
from portal.extensions import db
from portal.models import ImportBatch, ImportStatus, Institution, Job, Mode, Organization, User
from portal.services import Conflict, PortalError, audit, commit, naming
from portal.services.delivery import jobs
from portal.services.imports.csv_import import NOTHING_NEW, Group, may_import, plan
from portal.services.onboarding import consent, institutions
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
    organization = db.session.get(Organization, batch.organization_id)
    result = plan(organization, batch.content)
    if result.errors:
        raise PortalError(f"{len(result.errors)} row error(s): fix the file and upload it again.")
    if claimed_as is ImportStatus.PREVIEWED:
        _claim(batch, ImportStatus.PREVIEWED, ImportStatus.APPLIED)
    total, done = len(result.rows), 0
    report(0, total)
    creating = [group for group in result.groups if _creates_institution(group)]
    names = naming.unique_slugs(Institution.subdomain, [g.details.name for g in creating])
    subdomains = {id(group): name for group, name in zip(creating, names, strict=True)}
    sync_ids = []
    for group in result.groups:
        sync_ids += _apply_group(actor, organization, group, subdomains.get(id(group), ""))
        done += len(group.rows)
        report(done, total)
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


def _creates_institution(group: Group) -> bool:
    todo = any(row[0].kind not in NOTHING_NEW for row in group.rows)
    return todo and group.match is None and group.enrollment is None


def _apply_group(actor: User, organization: Organization, group: Group, subdomain: str):
    todo = [row for row in group.rows if row[0].kind not in NOTHING_NEW]
    if not todo:
        return []
    if group.match is not None:
        consent.add_request(group.match, organization=organization, actor=actor)
        return []
    enrollment = group.enrollment or institutions.add(
        group.details,
        organization=organization,
        actor=actor,
        mode=Mode.PRODUCTION,
        subdomain=subdomain,
    )
    return [
        setup.add_sync(enrollment, ehr=ehr, server_name=server, actor=actor).id
        for _, ehr, server in todo
    ]
