"""A Synchronizer's heartbeat, steady or not.

Nearly every heartbeat is steady: an active sync reports the locations it reported last
time. That costs one read (the sync by its token, its institution's locations and whether
its enrollment can still settle, as plain rows) and one UPDATE of the two health times,
which only move forward. Anything else (a first report, a new or changed location, an
enrollment to settle, a refusal) goes through `agents.heartbeat` with the sync locked.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, exists, select, text

from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.models import Location, Sync, SyncStage
from portal.services import commit, secrets
from portal.services.onboarding import enrollments
from portal.services.records import timezones
from portal.services.syncs import agents

REPORTED = ("name", "street_address", "city", "state", "zip_code", "phone_number")


@dataclass(frozen=True)
class Snapshot:
    """What a heartbeat needs to know of its sync, read in one statement."""

    sync_id: int
    status: SyncStage
    unsettled: bool
    locations: dict[str, tuple]  # foreign id -> (owning sync id, *REPORTED, time zone)


def snapshot(token: str) -> Snapshot:
    """The sync of a bearer agent token, read without loading it. Unauthorized for unknown
    or revoked tokens."""
    # Through the session's connection: plain rows, without the ORM's loading machinery.
    digest = secrets.digest(token or "")
    rows = db.session.connection().execute(_snapshot_query(), {"digest": digest}).all()
    if not token or not rows:
        raise agents.Unauthorized(
            "Unknown or revoked agent token. Activate again with a product key."
        )
    sync_id, status, unsettled = rows[0][:3]
    located = {row[3]: tuple(row[4:]) for row in rows if row[3] is not None}
    return Snapshot(sync_id, status, unsettled, located)


@cache
def _snapshot_query():
    # Built once with parameters: building and hashing it per heartbeat cost more than
    # running it.
    settles = exists().where(enrollments.unsettled(Sync.created_by_org_id, Sync.institution_id))
    return (
        select(
            Sync.id,
            Sync.status,
            settles.correlate(Sync),
            Location.foreign_id,
            Location.sync_id,
            *(getattr(Location, name) for name in REPORTED),
            Location.tz,
        )
        .outerjoin(Location, Location.institution_id == Sync.institution_id)
        .where(Sync.agent_token_digest == bindparam("digest"))
    )


def heartbeat(
    seen: Snapshot,
    token: str,
    *,
    last_read_at: datetime | None,
    last_write_at: datetime | None,
    locations: list[agents.ReportedLocation],
) -> tuple[int, SyncStage]:
    """Record a heartbeat (see `agents.heartbeat` for its rules and refusals); returns the
    sync's id and status."""
    if _steady(seen, locations):
        agents.check_health_times(last_read_at, last_write_at)
        if _record_health(seen.sync_id, last_read_at, last_write_at):
            commit()
            return seen.sync_id, seen.status
    sync = agents.authenticate(token)  # locked: one changing report of a sync at a time
    agents.heartbeat(
        sync, last_read_at=last_read_at, last_write_at=last_write_at, locations=locations
    )
    return sync.id, sync.status


def _steady(seen: Snapshot, reported: list[agents.ReportedLocation]) -> bool:
    if seen.status is not SyncStage.ACTIVE or seen.unsettled:
        return False
    for item in reported:
        wanted = (seen.sync_id, *(getattr(item, name) for name in REPORTED))
        if seen.locations.get(item.foreign_id) != (*wanted, timezones.for_state(item.state)):
            return False
    return True


def _record_health(sync_id: int, read: datetime | None, written: datetime | None) -> bool:
    """Move the health times forward (never back, whatever order reports arrive in) while
    the sync is still active; False when it no longer is."""
    moved = db.session.connection().execute(
        _health_update(), {"sync_id": sync_id, "read": read, "written": written}
    )
    return moved.rowcount == 1


@cache
def _health_update():
    # Plain SQL with typed parameters: SQLAlchemy hashes an UPDATE's whole expression on
    # every execution to find its compiled form, which cost more than running it. Each time
    # moves to the reported one only when that is later (CASE), so reports arriving out of
    # order never move it back.
    later = "CASE WHEN :{0} IS NOT NULL AND ({1} IS NULL OR {1} < :{0}) THEN :{0} ELSE {1} END"
    return text(
        f"UPDATE syncs SET last_read_at = {later.format('read', 'last_read_at')}, "
        f"last_write_at = {later.format('written', 'last_write_at')} "
        "WHERE id = :sync_id AND status = :active"
    ).bindparams(
        bindparam("read", type_=UTCDateTime()),
        bindparam("written", type_=UTCDateTime()),
        bindparam("active", SyncStage.ACTIVE, type_=Sync.__table__.c.status.type),
    )
