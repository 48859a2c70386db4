"""Read and write health of a sync: healthy (green) when the last read (write) is newer than
SYNC_STALE_MINUTES, stale (red) when older, pending before the Synchronizer's first report."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, or_

from portal import clock, readable
from portal.models import Sync


class Health(enum.StrEnum):
    GREEN = "green"
    RED = "red"
    PENDING = "pending"


@dataclass(frozen=True)
class SyncHealth:
    read: Health
    write: Health
    read_ago: str
    write_ago: str

    @property
    def overall(self) -> Health:
        if Health.RED in (self.read, self.write):
            return Health.RED
        return Health.GREEN if self.read == self.write == Health.GREEN else Health.PENDING


LABELS = {Health.GREEN: "Healthy", Health.RED: "Stale", Health.PENDING: "Pending install"}


def words(moment: datetime | None, now: datetime | None = None) -> str:
    """ "Healthy", "Stale 2 h" (since the last report), "Pending install"."""
    state = of(moment, now)
    if state is not Health.RED:
        return LABELS[state]
    return f"Stale {readable.duration(((now or clock.now()) - moment).total_seconds())}"


def cutoff(now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(minutes=current_app.config["SYNC_STALE_MINUTES"])


def of(moment: datetime | None, now: datetime | None = None) -> Health:
    if moment is None:
        return Health.PENDING
    return Health.GREEN if moment >= cutoff(now) else Health.RED


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """ "12 minutes ago", "3 hours ago", "never"."""
    if moment is None:
        return "never"
    seconds = max(0, int(((now or clock.now()) - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def summary(sync: Sync, now: datetime | None = None) -> SyncHealth:
    now = now or clock.now()
    return SyncHealth(
        read=of(sync.last_read_at, now),
        write=of(sync.last_write_at, now),
        read_ago=ago(sync.last_read_at, now),
        write_ago=ago(sync.last_write_at, now),
    )


def red_clause(now: datetime | None = None):
    """SQL: syncs with a stale read or write."""
    edge = cutoff(now)
    return or_(Sync.last_read_at < edge, Sync.last_write_at < edge)


def green_clause(now: datetime | None = None):
    edge = cutoff(now)
    return and_(Sync.last_read_at >= edge, Sync.last_write_at >= edge)


def pending_clause():
    return and_(Sync.last_read_at.is_(None), Sync.last_write_at.is_(None))


def clause(health: Health):
    return {Health.RED: red_clause, Health.GREEN: green_clause, Health.PENDING: pending_clause}[
        health
    ]()


# The older of the two timestamps: sorting by it puts the stalest syncs first.
staleness = case(
    (Sync.last_write_at.is_(None), Sync.last_read_at),
    (Sync.last_read_at.is_(None), Sync.last_write_at),
    (Sync.last_write_at < Sync.last_read_at, Sync.last_write_at),
    else_=Sync.last_read_at,
)
