"""Where the benchmark database lives and how it is reset. SQLite files, results and logs go
under `.bench/` (gitignored; BENCH_DIR names another folder); PostgreSQL is whatever
`--database-url` or BENCH_DATABASE_URL names."""

import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("BENCH_DIR") or ROOT / ".bench")


def url_for(scale: str, given: str | None = None) -> str:
    """The database URL for a scale: the one given, BENCH_DATABASE_URL, else a SQLite file."""
    url = given or os.environ.get("BENCH_DATABASE_URL")
    if not url:
        BENCH_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{BENCH_DIR / f'bench-{scale}.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def reset(url: str) -> None:
    """Start from nothing: delete the SQLite file, or drop PostgreSQL's public schema."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def loading_engine(url: str) -> Engine:
    """An engine for bulk loading. SQLite skips its journal while loading: a failed load is
    simply generated again, so durability buys nothing here."""
    engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA journal_mode=OFF")
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    return engine
