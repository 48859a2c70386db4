"""Engines of their own beside the app's pool, one per purpose and database, for work that
must not take a request's connection (the request log's writer) or needs other settings
(the steady heartbeat's autocommit). Each keeps the app's engine options and SQLite
settings unless told otherwise.

No engine pings its server before handing out a pooled connection: on PostgreSQL that
`SELECT 1` was one of an API read's four round trips, the wait being the server's turn on
the same cores. Instead `watch` looks at the connection's socket, which costs no round trip:
a server that ended the connection (a restart, `pg_terminate_backend`, a proxy that cut
it) has sent its goodbye or closed it, so the socket is readable while the connection
idles in the pool. Such a connection is dropped at checkout and a new one taken, as the
ping did. A connection that dies silently (a network path gone without a reset) would
have made the ping wait for TCP's timeout too."""

import select

from flask import current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from portal import sqlite_pragmas
from portal.extensions import db

_engines: dict[tuple, Engine] = {}


def own(purpose: str, **options) -> Engine:
    """The engine for `purpose` on the app's database, made on first use with the app's
    engine options updated by `options`. An in-memory SQLite database is only reachable
    through the app's own pool: its engine is used then, with `options`' isolation level."""
    engine = db.engine
    found = _engines.get((purpose, engine.url))
    if found is None:
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            isolation = {k: v for k, v in options.items() if k == "isolation_level"}
            found = engine.execution_options(**isolation) if isolation else engine
        else:
            settings = {**current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), **options}
            found = create_engine(engine.url, **settings)
            sqlite_pragmas.tune(found, current_app)
            watch(found)
        _engines[(purpose, engine.url)] = found
    return found


def init_app(app) -> None:
    with app.app_context():
        watch(db.engine)


def watch(engine: Engine) -> None:
    """Drop, at checkout, pooled connections their server has ended (module docstring)."""
    if engine.dialect.name != "sqlite":  # a file has no server that could end it
        event.listen(engine, "checkout", _refuse_ended)


def _refuse_ended(dbapi_connection, _record, _proxy) -> None:
    if ended(dbapi_connection):
        raise DisconnectionError("the server ended this pooled connection")


def ended(dbapi_connection) -> bool:
    """Whether an idle connection's server has ended it: the driver knows it is closed or
    broken, or the server has written to (or closed) a socket it has no reason to write to."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)
