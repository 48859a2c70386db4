"""Column types shared by the models and the migrations."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

from portal import clock


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite forgets the zone, so values are normalised to UTC on the way in and tagged as
    UTC on the way out; naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use portal.clock.now() or an aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now_column(**kw):
    """A timestamp column defaulting to the current time (a callable, evaluated per row)."""
    return mapped_column(UTCDateTime(), default=clock.now, **kw)
