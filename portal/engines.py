"""Engines of their own beside the app's pool, one per purpose and database, for work that
must not take a request's connection (the request log's writer) or needs other settings
(the steady heartbeat's autocommit). Each keeps the app's engine options and SQLite
settings unless told otherwise.

No engine pings its server before every use of a pooled connection: on PostgreSQL a
`SELECT 1` is a round trip, as long as a whole API read's, the wait being the server's turn
on the same cores. Instead `watch` looks at the connection's socket, which costs none:
a server that ended the connection (a restart, `pg_terminate_backend`, a proxy that cut
it) has sent its goodbye or closed it, so the socket is readable while the connection
idles in the pool. Such a connection is pinged at checkout, and dropped for a new one
unless it answers (it may only have had a notice waiting). A connection that dies silently
(a network path gone without a reset) fails the request that takes it, and the pool starts
afresh; the ping would have waited for TCP's timeout on it first."""

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
    if engine.dialect.name == "sqlite":  # a file has no server that could end it
        return
    dialect = engine.dialect

    def refuse_ended(dbapi_connection, _record, _proxy) -> None:
        if _looks_ended(dbapi_connection) and not _answers(dialect, dbapi_connection):
            raise DisconnectionError("the server ended this pooled connection")

    event.listen(engine, "checkout", refuse_ended)


def _looks_ended(dbapi_connection) -> bool:
    """Whether an idle connection may have been ended by its server: the driver knows it is
    closed or broken, or the server has written to (or closed) a socket it has no reason to
    write to. A readable socket may also hold a notice: `_answers` decides then."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        poll = select.poll()  # any descriptor number, unlike select()
        poll.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poll.poll(0))
    except Exception:  # no socket to look at (the driver gave it up): ended
        return True


def _answers(dialect, dbapi_connection) -> bool:
    """A ping, for a connection that looks ended: one that still answers (a notice was
    waiting on it) is kept."""
    try:
        return bool(dialect.do_ping(dbapi_connection))
    except Exception:
        return False
