"""Build the benchmark dataset: `python -m benchmarks.generate [--scale small|full]
[--database-url URL]`.

Same seed, same rows (timestamps are relative to the moment of generation, so sync health
is fresh or stale when the scenarios run right after). Rows go in with Core executemany in
batches, never one ORM object at a time: the full scale loads in minutes, not hours.
"""

import argparse
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection

from benchmarks import audit_rows, database, plan, practices, sandboxes
from benchmarks.sizes import SCALES, Scale
from portal import create_app, models, records
from portal.extensions import db
from portal.services import secrets

SEED = 20250131


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--database-url", help="default: BENCH_DATABASE_URL, else .bench/*.db")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    url = database.url_for(args.scale, args.database_url)
    generate(SCALES[args.scale], url, args.seed)


def generate(scale: Scale, url: str, seed: int = SEED) -> None:
    started = time.perf_counter()
    print(f"generate: {scale.name} scale into {database.label(url)} ({url})")
    database.reset(url)
    totp_secret = migrate(url)
    world = plan.build(scale, datetime.now(UTC).replace(microsecond=0), seed)
    engine = database.loading_engine(url)
    with engine.begin() as conn:
        load_all(conn, world, random.Random(seed), totp_secret)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        finish(conn, url)
    engine.dispose()
    print(f"generate: done in {time.perf_counter() - started:.0f} s")


def migrate(url: str) -> str:
    """The schema comes from the migrations, exactly as in production (indexes included).
    Returns the staff user's authenticator secret, encrypted with the app's key."""
    from flask_migrate import upgrade

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        totp_secret = secrets.encrypt(pyotp.random_base32())
        # Let go of the file: the app opens SQLite in WAL mode, and the loader's switch to
        # no journal at all needs the only connection.
        db.engine.dispose()
    return totp_secret


def load_all(conn: Connection, world: plan.Plan, rng: random.Random, totp_secret: str) -> None:
    password_hash = PasswordHasher().hash(practices.PASSWORD)  # once: argon2 is slow on purpose
    steps = [
        (models.Organization, practices.organizations(world)),
        (models.User, practices.users(world, password_hash, totp_secret)),
        (models.Institution, practices.institutions(world, rng)),
        (models.Institution, sandboxes.institutions(world)),
        (models.Sync, practices.syncs(world)),
        (models.Location, practices.locations(world)),
        (models.Location, sandboxes.locations(world)),
        (models.Enrollment, practices.enrollments(world)),
        (models.Enrollment, sandboxes.enrollments(world)),
        (models.LocationGrant, practices.grants(world)),
        (models.LocationGrant, sandboxes.grants(world)),
        (records.Provider, sandboxes.providers(world)),
        (records.Operatory, sandboxes.operatories(world)),
        (records.AppointmentType, sandboxes.appointment_types(world)),
        (records.Patient, sandboxes.patients(world, rng)),
        (records.Appointment, sandboxes.appointments(world)),
        (models.AuditEvent, audit_rows.events(world, rng)),
    ]
    for model, rows in steps:
        insert(conn, model.__table__, rows, world.scale.batch)


def insert(conn: Connection, table: Table, rows: Iterable[dict], batch: int) -> int:
    """executemany in batches; returns the row count. Column defaults fill missing keys."""
    started, total, rows = time.perf_counter(), 0, iter(rows)
    while chunk := list(islice(rows, batch)):
        conn.execute(table.insert(), chunk)
        total += len(chunk)
    elapsed = time.perf_counter() - started
    print(f"  {table.name:<22} {total:>9,} rows {elapsed:6.1f} s {total / elapsed:>9,.0f} rows/s")
    return total


def finish(conn: Connection, url: str) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them. Then leave the
    world as a database in use would be: PostgreSQL's tables vacuumed (hint bits and
    visibility map set) with planner statistics, as autovacuum keeps them; it ran during
    the first scenarios otherwise, beside what they measured. SQLite: statistics, as
    `PRAGMA optimize` would."""
    if database.label(url) == "PostgreSQL":
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    conn.execute(text("VACUUM (ANALYZE)" if database.label(url) == "PostgreSQL" else "ANALYZE"))


if __name__ == "__main__":
    main()
