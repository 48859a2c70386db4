"""Engines of their own beside the app's pool, one per purpose and database, for work that
must not take a request's connection (the request log's writer) or needs other settings
(the steady heartbeat's autocommit without a ping). Each keeps the app's engine options
and SQLite settings unless told otherwise."""

from flask import current_app
from sqlalchemy import Engine, create_engine

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
        _engines[(purpose, engine.url)] = found
    return found
