"""A Synchronizer's heartbeat, steady or not.

Nearly every heartbeat is steady: an active sync, with nothing left to settle, reports the
locations it reported last time. That one is a single UPDATE of the two health times whose
WHERE holds every condition (the token's digest, active, settled, each reported location as
stored), run outside any transaction. Anything else (an unknown token, a first report, a new
or changed location, an enrollment to settle, a refusal) matches no row and goes through
`agents.heartbeat` with the sync locked.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from portal import engines
from portal.db_types import UTCDateTime
from portal.models import Location, Sync, SyncStage
from portal.services import secrets
from portal.services.onboarding import enrollments
from portal.services.records import timezones
from portal.services.syncs import agents

REPORTED = ("name", "street_address", "city", "state", "zip_code", "phone_number")
STORED = ("foreign_id", *REPORTED, "tz")


def heartbeat(
    token: str,
    *,
    last_read_at: datetime | None,
    last_write_at: datetime | None,
    locations: list[agents.ReportedLocation],
) -> tuple[int, SyncStage]:
    """Record a heartbeat (see `agents.heartbeat` for its rules and refusals); returns the
    sync's id and status. Unauthorized for unknown or revoked tokens."""
    if token and not agents.from_the_future(last_read_at, last_write_at):
        sync_id = _record_steady(token, last_read_at, last_write_at, locations)
        if sync_id is not None:
            return sync_id, SyncStage.ACTIVE
    sync = agents.authenticate(token)  # locked: one changing report of a sync at a time
    agents.heartbeat(
        sync, last_read_at=last_read_at, last_write_at=last_write_at, locations=locations
    )
    return sync.id, sync.status


def _record_steady(
    token: str,
    read: datetime | None,
    written: datetime | None,
    reported: list[agents.ReportedLocation],
) -> int | None:
    """Move the health times of the token's sync forward if the heartbeat is steady; its
    id, or None when no sync matched (nothing was written then)."""
    engine = _autocommit_engine()
    arrays = engine.dialect.name == "postgresql"
    rows = [_as_stored(item) for item in reported]
    values = {"digest": secrets.digest(token), "read": read, "written": written}
    values["count"] = len(rows)
    if arrays:
        columns = list(zip(*rows, strict=True)) or [()] * len(STORED)
        values.update({f"reported_{n}": list(c) for n, c in zip(STORED, columns, strict=True)})
    else:
        values["reported"] = rows
    for attempt in (1, 2):
        try:
            with engine.connect() as connection:
                return connection.execute(_steady_update(arrays), values).scalar()
        except DBAPIError as error:
            # No ping before each use (`portal.engines`): a connection the server dropped
            # after its checkout fails here once, and the statement is safe to run again.
            if attempt == 2 or not error.connection_invalidated:
                raise
    return None


def _as_stored(item: agents.ReportedLocation) -> tuple:
    """A reported location as its row reads when nothing changed."""
    return (
        item.foreign_id,
        *(getattr(item, name) for name in REPORTED),
        timezones.for_state(item.state),  # the time zone follows the address
    )


@cache
def _steady_update(arrays: bool):
    # Foreign ids are unique per institution and per report, so "as many matching rows as
    # reported locations" means each one is stored as reported, by this sync. Each time
    # moves to the reported one only when that is later, so reports arriving out of order
    # never move it back. On PostgreSQL the locations go as one array per column: the text
    # stays the same whatever their number (psycopg splits a text of more than 50
    # placeholders afresh on every execution).
    stored = tuple_(*(getattr(Location, name) for name in STORED))
    if arrays:
        sent = [
            bindparam(f"reported_{name}", type_=ARRAY(getattr(Location, name).type))
            for name in STORED
        ]
        unnested = func.unnest(*sent).table_valued(*STORED).render_derived()
        as_reported = stored.in_(select(*unnested.c))
    else:
        as_reported = stored.in_(bindparam("reported", expanding=True))
    matching = (
        select(func.count())
        .where(
            Location.institution_id == Sync.institution_id,
            Location.sync_id == Sync.id,
            as_reported,
        )
        .scalar_subquery()
    )
    return (
        update(Sync)
        .where(
            Sync.agent_token_digest == bindparam("digest"),
            Sync.status == SyncStage.ACTIVE,
            ~exists().where(enrollments.unsettled(Sync.created_by_org_id, Sync.institution_id)),
            matching == bindparam("count"),
        )
        .values(
            last_read_at=_later(Sync.last_read_at, "read"),
            last_write_at=_later(Sync.last_write_at, "written"),
        )
        .returning(Sync.id)
    )


def _later(column, name: str):
    reported = bindparam(name, type_=UTCDateTime())
    moves = and_(reported.is_not(None), or_(column.is_(None), column < reported))
    return case((moves, reported), else_=column)


def _autocommit_engine() -> Engine:
    """Connections for single statements that need no transaction around them, from a
    pool of their own: on PostgreSQL the ping (`portal.engines`), BEGIN and COMMIT were
    three of a steady heartbeat's five round trips to the server."""
    return engines.own("steady heartbeats", isolation_level="AUTOCOMMIT")
