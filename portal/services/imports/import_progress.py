"""What the progress page of an import says: waiting for a worker, rows done of total,
finished (then the result page), or failed with the reason (nothing was imported)."""

from dataclasses import dataclass

from portal.extensions import db
from portal.models import ImportBatch, ImportStatus, Job, JobStatus
from portal.services.delivery import jobs


@dataclass
class State:
    stage: str  # waiting | running | finished | failed | not started
    done: int = 0
    total: int = 0
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.stage == "finished"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    def as_json(self, page_url: str) -> dict:
        return {
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "message": self.message,
            "page": page_url,
        }


def of(batch: ImportBatch) -> State:
    """Where the import of `batch` stands."""
    db.session.refresh(batch)
    summary = batch.summary or {}
    if batch.status is ImportStatus.APPLIED:
        return State("finished", message="Imported.")
    if batch.status is ImportStatus.PREVIEWED:
        failed = db.session.get(Job, summary.get("failed_job_id") or 0)
        if failed is None:
            return State("not started", message="This file has not been imported yet.")
        return State("failed", message=f"Nothing was imported: {failed.error}")
    job = db.session.get(Job, summary.get("job_id") or 0)
    if job is None or job.status is JobStatus.QUEUED:
        return State("waiting", message="Waiting for a worker to start the import.")
    done, total = jobs.progress_of(job)
    return State("running", done, total, f"Imported {done:,} of {total:,} rows.")
