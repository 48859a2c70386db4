"""Column types shared by the models and the migrations."""

import json
from datetime import UTC, datetime

import msgspec
from sqlalchemy import DateTime, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import mapped_column
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from portal import clock

_JSON = msgspec.json.Encoder()
_READ_JSON = msgspec.json.Decoder().decode


def json_text(value) -> str:
    """A JSON column's value as the text stored, compact (the engines' `json_serializer`).
    Every audit row, event and job carries one, and the standard library's `json.dumps`
    took seven times as long: 4.9 against 0.7 µs for an audit row's details, a tenth of a
    second for a 10,000-row import's 26,000 audit rows."""
    return _JSON.encode(value).decode()


def json_value(stored: str | bytes):
    """A JSON column's stored text as values (the engines' `json_deserializer`). A CSV export
    of the audit log reads 100,000 rows' details, and the standard library's `json.loads`
    took five times as long (2.0 against 0.4 µs for an audit row's details). Text only the
    standard library reads (NaN, written before `json_text`) is read by it still."""
    try:
        return _READ_JSON(stored)
    except msgspec.DecodeError:
        return json.loads(stored)


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


class iso_timestamp(FunctionElement):  # noqa: N801 - used like a SQL function
    """A UTCDateTime column as the API writes it, "2026-01-31T09:30:00.123Z", formatted by the
    database: reading a page's datetimes back and formatting each in Python cost a tenth of
    a list request. Milliseconds are cut, not rounded, as `isoformat` cuts them."""

    type = String()
    inherit_cache = True


class iso_date(FunctionElement):  # noqa: N801 - used like a SQL function
    """A Date column as ISO text, "1990-01-31", formatted by the database."""

    type = String()
    inherit_cache = True


@compiles(iso_timestamp, "sqlite")
def _sqlite_timestamp(element, compiler, **kw):
    # Stored as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; a value written without its fraction
    # ("... HH:MM:SS") still gets ".000" from the padding.
    column = compiler.process(element.clauses, **kw)
    return f"(substr({column}, 1, 10) || 'T' || substr({column} || '.000', 12, 12) || 'Z')"


@compiles(iso_timestamp)
def _timestamp(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


@compiles(iso_date, "sqlite")
def _sqlite_date(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)  # stored as "YYYY-MM-DD" already


@compiles(iso_date)
def _date(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"
