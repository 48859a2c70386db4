"""Requests that only read, in autocommit: the API's GET operations.

Such a request needs no transaction: each statement sees what was committed when it began,
and no BEGIN or ROLLBACK goes to the server. On PostgreSQL that is two round trips fewer a
request, and it keeps psycopg's prepared statements, which psycopg drops at every ROLLBACK:
the busiest statements are parsed and planned once per connection, not once per request
(the server's CPU for a page of patients went from 1.9 to 0.7 ms; BENCHMARKS.md). SQLite's
driver already sends no BEGIN before a SELECT, so there the connection keeps its isolation
level: switching it cost a `PRAGMA read_uncommitted` when the connection went back to the
pool, which made SQLite prepare every statement again (a sixth of an API call's CPU).

A write on such a connection would commit statement by statement, half-done if the request
then failed. So a write there is refused as a programming error, before it reaches the
database: every GET of the API is exercised by the test suite with this guard on.
"""

from flask import Flask
from sqlalchemy import event

from portal.extensions import db

READS_ONLY = {"reads_only": True}
_IN_AUTOCOMMIT = {**READS_ONLY, "isolation_level": "AUTOCOMMIT"}


class WriteInReadOnlyRequest(RuntimeError):
    """A request that declared it only reads tried to write."""


def begin() -> None:
    """This request's session reads in autocommit from here on. Call it before the request's
    first statement; a session already in a transaction (a test's own) is left as it is."""
    if not db.session().in_transaction():
        sqlite = db.engine.dialect.name == "sqlite"
        db.session.connection(execution_options=READS_ONLY if sqlite else _IN_AUTOCOMMIT)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _refuse_writes)


def _refuse_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return
    if connection.get_execution_options().get("reads_only"):
        raise WriteInReadOnlyRequest(f"a read-only request tried to write: {statement[:80]}")
