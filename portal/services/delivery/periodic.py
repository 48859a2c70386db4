"""Periodic worker tasks (expire access requests, ...): each runs once per period across
all workers. The first worker to move a task's `next_run_at` forward, by one conditional
UPDATE, runs it; the others see the new time and skip it."""

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.extensions import db
from portal.models import PeriodicRun


def claim(name: str, every: timedelta, worker: str) -> bool:
    """True when `worker` may run task `name` now (and no other worker may until `every`)."""
    now = clock.now()
    claimed = db.session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == name, PeriodicRun.next_run_at <= now)
        .values(next_run_at=now + every, last_run_by=worker),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if claimed == 1:
        return True
    if db.session.get(PeriodicRun, name) is not None:
        return False
    return _first_run(name, every, worker)


def _first_run(name: str, every: timedelta, worker: str) -> bool:
    # A task never run before: whoever inserts its row runs it.
    db.session.add(PeriodicRun(name=name, next_run_at=clock.now() + every, last_run_by=worker))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
