"""SQLite settings for a file database that several processes (gunicorn workers) share.

Write-ahead logging lets readers go on while one process writes, and `synchronous=NORMAL`
syncs the log at checkpoints instead of at every commit: a commit then costs a write, not
two fsyncs (the rollback journal's default), which is most of a heartbeat's time. A power
cut may lose the last commits but cannot corrupt the file. Writers queue behind each other
for up to SQLITE_BUSY_TIMEOUT_SECONDS rather than failing with "database is locked".
PostgreSQL needs none of this.
"""

from flask import Flask
from sqlalchemy import Engine, event

from portal.extensions import db


def init_app(app: Flask) -> None:
    with app.app_context():
        tune(db.engine, app)


def tune(engine: Engine, app: Flask) -> None:
    """Apply the settings to every connection `engine` opens, if it is SQLite's."""
    if engine.dialect.name == "sqlite":
        busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_SECONDS"] * 1000)
        event.listen(engine, "connect", lambda connection, _: _tune(connection, busy_ms))


def _tune(dbapi_connection, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # kept by the file; in-memory databases ignore it
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A write waits this long for another process's write instead of failing at once.
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()
