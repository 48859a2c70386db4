"""Synchronizer heartbeats per second: 1,000 installed syncs, each with its own agent token,
report fresh read and write times and their three known locations, round-robin, under
gunicorn with 2 workers. Every heartbeat is a write (times move forward each second)."""

import json

from sqlalchemy import select

from benchmarks import database, load, practices, server
from benchmarks.context import Bench
from benchmarks.load import NOW, Request
from portal.extensions import db
from portal.models import Location, Sync, SyncStage

AGENTS = 1_000
HEARTBEAT_BUDGET_PER_S = 1_000
FIELDS = ("foreign_id", "name", "street_address", "city", "state", "zip_code")


def _requests(bench: Bench) -> list[Request]:
    with bench.app.app_context():
        sync_ids = db.session.scalars(
            select(Sync.id)
            .where(Sync.status == SyncStage.ACTIVE, Sync.id.in_(select(Location.sync_id)))
            .order_by(Sync.id)
            .limit(AGENTS)
        ).all()
        located: dict[int, list[dict]] = {}
        for location in db.session.scalars(select(Location).where(Location.sync_id.in_(sync_ids))):
            located.setdefault(location.sync_id, []).append(
                {name: getattr(location, name) for name in FIELDS}
            )
    return [
        Request(
            "POST",
            "/synchronizer/v1/heartbeat",
            {
                "Authorization": f"Bearer {practices.agent_token(sync_id)}",
                "Content-Type": "application/json",
            },
            json.dumps({"last_read_at": NOW, "last_write_at": NOW, "locations": located[sync_id]}),
        )
        for sync_id in sync_ids
    ]


def heartbeats(bench: Bench) -> None:
    requests = _requests(bench)
    with server.gunicorn(bench.url, database.BENCH_DIR / "gunicorn.log") as base:
        result = load.run(base, requests, database.BENCH_DIR / "load.lua", bench.scale.load_seconds)
    bench.result(
        f"Synchronizer heartbeats ({len(requests):,} agents)",
        "req/s",
        result.requests_per_s,
        budget=HEARTBEAT_BUDGET_PER_S,
        note=result.summary,
        passed=None if result.errors == 0 else False,
    )
