"""What every scenario needs: medians over N runs, the SQL a call issues (captured once,
replayed alone for the floor), and a `Result` row for the table."""

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Result:
    scenario: str
    database: str
    unit: str  # "ms" (lower is better) or a rate such as "rows/s", "req/s" (higher is better)
    ours: float | None
    stock: float | None = None
    raw: float | None = None
    budget: float | None = None
    note: str = ""
    passed: bool | None = None  # None: judged from ours and budget
    group: str = ""  # the scenario (`benchmarks.scenarios.ALL` key) that measured it

    @property
    def lower_is_better(self) -> bool:
        return self.unit in ("ms", "MB")

    def verdict(self) -> str:
        if self.ours is None:
            return "not measured"
        if self.passed is not None:
            return "pass" if self.passed else "MISS"
        if self.budget is None:
            return "-"
        ok = self.ours <= self.budget if self.lower_is_better else self.ours >= self.budget
        return "pass" if ok else "MISS"


def median_ms(call: Callable[[], object], runs: int, warmup: int = 1) -> float:
    """Median wall time of `call` in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: object
    many: bool


@contextmanager
def captured(*engines: Engine):
    """Collect the statements sent to the database inside the block, through any of
    `engines` (the app's, and those of its threads: an export reads its rows ahead on a
    connection of its own)."""
    statements: list[Statement] = []

    def before(conn, cursor, sql, parameters, context, executemany):
        statements.append(Statement(sql, parameters, executemany))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)


def replay(engine: Engine, statements: list[Statement]) -> Callable[[], int]:
    """A call that sends the same statements on a raw DB-API connection and fetches every
    row: the database's share of the page, without ORM, templates or HTTP. Writes are
    rolled back. Returns the rows fetched."""

    def run() -> int:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            rows = 0
            for statement in statements:
                if statement.many:
                    cursor.executemany(statement.sql, statement.parameters)
                    continue
                cursor.execute(statement.sql, statement.parameters)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
            connection.rollback()
            return rows
        finally:
            connection.close()

    return run


def floor_ms(engine: Engine, call: Callable[[], object], runs: int) -> tuple[float, int]:
    """Capture the SQL of one `call`, then the median time of that SQL alone (and how many
    statements it was)."""
    with captured(engine) as statements:
        call()
    return median_ms(replay(engine, statements), runs), len(statements)
