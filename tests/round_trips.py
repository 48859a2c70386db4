"""Round trips to PostgreSQL, read from libpq's own trace of each pooled connection: every
exchange the server answers ends with its ReadyForQuery, pings and BEGINs included, so the
count holds whatever SQLAlchemy's events see."""

import os
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@contextmanager
def traced(tmp_path, warm_up: Callable[[], None], *engines: Engine):
    """Dispose of `engines`' pools, open their connections again by calling `warm_up`,
    then trace those connections; yields a list that holds, after the block, the round
    trips each connection made in it (connections that made none are left out)."""
    opened = []

    def keep(dbapi_connection, record):
        opened.append(dbapi_connection)

    event.listen(Pool, "connect", keep)
    try:
        for engine in engines:
            engine.dispose()
        warm_up()
    finally:
        event.remove(Pool, "connect", keep)
    traces = [open(tmp_path / f"{n}.trace", "w") for n in range(len(opened))]  # noqa: SIM115
    for connection, trace in zip(opened, traces, strict=True):
        connection.pgconn.trace(trace.fileno())
    counted = []
    try:
        yield counted
    finally:
        for connection, trace in zip(opened, traces, strict=True):
            connection.pgconn.untrace()
            trace.close()
    read = [(tmp_path / f"{n}.trace").read_text() for n in range(len(opened))]
    counted.extend(t.count("ReadyForQuery") for t in read if t)
