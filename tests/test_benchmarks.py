"""The benchmark harness still runs: every scenario of `make bench` measures something
against a generated world at the tiny scale. Nothing here is timed; the figures are only
checked to exist, so the bench cannot quietly break when pages, sign-in or roles change."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.scenarios import ALL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_database(tmp_path):
    """A database of its own: the SQLite file under the bench folder, or, when the suite runs
    on PostgreSQL, a second database on the same server (generating drops its schema)."""
    given = os.environ.get("TEST_DATABASE_URL", "")
    if not given.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'bench-tiny.db'}"
        return
    server = make_url(given)
    name = f"{server.database}_bench"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench(tmp_path: Path, module: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENCH_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--scale", "tiny", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_scenario_of_the_bench_measures_a_figure_on_a_generated_world(
    tmp_path, bench_database
):
    generated = bench(tmp_path, "generate", "--database-url", bench_database)
    assert generated.returncode == 0, generated.stderr[-3000:]

    ran = bench(tmp_path, "run", "--database-url", bench_database, "--runs", "1", "--strict")

    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-5000:]
    [results] = tmp_path.glob("results-*-tiny.json")
    rows = json.loads(results.read_text())
    measured = {row["group"] for row in rows if row["ours"] is not None}
    assert measured == set(ALL)
    assert all(row["ours"] is not None for row in rows)
    loads = [row for row in rows if "errors" in row["note"]]
    assert {row["group"] for row in loads} >= {"api", "heartbeats"}
    assert all(" 0 errors" in row["note"] for row in loads), [row["note"] for row in loads]
