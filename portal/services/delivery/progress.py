"""How far a running job got, readable by the web pages while the job's own transaction is
still open (an import is all or nothing, so its rows stay invisible until it commits).

On PostgreSQL the job row is updated on a second connection (the job's transaction does not
touch that row until it finishes), which also extends the worker's claim. SQLite has one
writer at a time and the job holds it, so progress goes to a small file beside the database
(a SQLite database lives on one machine, so the web processes can read it).
"""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from portal import clock
from portal.extensions import db
from portal.models import Job

INTERVAL_SECONDS = 0.5  # write at most this often (and at the end)


class Reporter:
    """Called by a job handler as `report(done, total)`."""

    def __init__(self, job_id: int, lease: timedelta):
        self.job_id, self.lease = job_id, lease
        self.done = self.total = 0
        self._last_write = 0.0
        self._file = _file_for(job_id)

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if done < total and now - self._last_write < INTERVAL_SECONDS:
            return
        self._last_write = now
        if self._file is not None:
            _write_file(self._file, done, total)
        elif db.engine.dialect.name != "sqlite":
            self._write_row(done, total)

    def _write_row(self, done: int, total: int) -> None:
        with db.engine.connect() as connection:
            connection.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(done=done, total=total, claimed_until=clock.now() + self.lease)
            )
            connection.commit()

    def close(self) -> None:
        if self._file is not None:
            self._file.unlink(missing_ok=True)


def reporter(job: Job, *, lease: timedelta) -> Reporter:
    return Reporter(job.id, lease)


def read(job: Job) -> tuple[int, int]:
    """(done, total): the side file while a SQLite job runs, else the job row."""
    path = _file_for(job.id)
    if path is not None and path.exists():
        try:
            values = json.loads(path.read_text())
            return int(values["done"]), int(values["total"])
        except (OSError, ValueError, KeyError):
            pass  # being replaced right now; the row's values will do
    return job.done, job.total


def _file_for(job_id: int) -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    folder = Path(url.database + "-progress")
    folder.mkdir(exist_ok=True)
    return folder / f"job-{job_id}.json"


def _write_file(path: Path, done: int, total: int) -> None:
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({"done": done, "total": total}))
    partial.replace(path)  # readers see the old or the new file, never half of one
