"""SQLite settings for a file database that several processes (gunicorn workers) share.

Write-ahead logging lets readers go on while one process writes, and `synchronous=NORMAL`
syncs the log at checkpoints instead of at every commit: a commit then costs a write, not
two fsyncs (the rollback journal's default), which is most of a heartbeat's time. A power
cut may lose the last commits but cannot corrupt the file. PostgreSQL needs none of this.
"""

from flask import Flask
from sqlalchemy import event

from portal.extensions import db


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune)


def _tune(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # kept by the file; in-memory databases ignore it
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
