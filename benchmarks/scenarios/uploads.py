"""Records uploaded by Synchronizers, `POST /synchronizer/v1/uploads/patients`: 16 installed
syncs each send batches of 1,000 patients (the most a batch may hold) for one of their
locations, under gunicorn with 2 workers. Each location's batch is sent once before the
clock starts (its records are created); under load every record of every batch has changed
(its address carries the time of sending, to the second), so each request updates 1,000
rows. Records/s is requests/s x batch size. Budget 20,000 records/s."""

import json

import httpx
from sqlalchemy import func, select

from benchmarks import database, load, practices, server
from benchmarks.context import Bench
from benchmarks.load import NOW, Request
from portal.extensions import db
from portal.models import Location, Sync, SyncStage

UPLOAD_BUDGET_RECORDS_PER_S = 20_000
SYNCS = 16  # one per load connection


def _places(bench: Bench) -> list[tuple[int, str]]:
    """(sync id, location foreign id) of the first SYNCS active syncs with a location."""
    with bench.app.app_context():
        first = (
            select(Location.sync_id, func.min(Location.foreign_id))
            .join(Sync, Sync.id == Location.sync_id)
            .where(Sync.status == SyncStage.ACTIVE)
            .group_by(Location.sync_id)
            .order_by(Location.sync_id)
            .limit(SYNCS)
        )
        return [tuple(row) for row in db.session.execute(first)]


def _batch(location_foreign_id: str, size: int) -> str:
    records = [
        {
            "foreign_id": f"BP{n}",
            "first_name": f"Pat{n}",
            "last_name": "Upload",
            "email": f"pat{n}@upload.example",
            "phone_number": f"555{n:07d}",
            "date_of_birth": "1980-01-31",
            "address_line_1": f"{n} Main Street {NOW}",
            "city": "Springfield",
            "state": "IL",
            "zip_code": "62701",
        }
        for n in range(size)
    ]
    return json.dumps({"location_foreign_id": location_foreign_id, "records": records})


def records_upload(bench: Bench) -> None:
    size = bench.scale.upload_records
    requests = [
        Request(
            "POST",
            "/synchronizer/v1/uploads/patients",
            {
                "Authorization": f"Bearer {practices.agent_token(sync_id)}",
                "Content-Type": "application/json",
            },
            _batch(foreign_id, size),
        )
        for sync_id, foreign_id in _places(bench)
    ]
    with server.gunicorn(bench.url, database.BENCH_DIR / "gunicorn.log") as base:
        for request in requests:  # the first batch of each location creates its records
            _send(base, request)
        script = database.BENCH_DIR / "load.lua"
        # A batch waits behind the 15 others: give it time rather than count it as lost.
        result = load.run(base, requests, script, bench.scale.load_seconds, timeout=60)
    bench.result(
        f"Records upload, {len(requests)} syncs x {size:,} patients per batch",
        "records/s",
        result.requests_per_s * size,
        budget=UPLOAD_BUDGET_RECORDS_PER_S,
        note=f"{result.requests_per_s:,.1f} batches/s, {result.summary}",
        passed=None if result.errors == 0 else False,
    )


def _send(base: str, request: Request) -> None:
    body = request.body.replace(NOW, "first upload")
    answer = httpx.post(base + request.path, headers=request.headers, content=body, timeout=60)
    if answer.status_code != 200:
        raise RuntimeError(f"{request.path} answered {answer.status_code}: {answer.text[:300]}")
