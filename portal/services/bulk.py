"""What the bulk paths (a CSV import's apply, an agent's upload batch and its events) share."""

import gc
import queue
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from operator import itemgetter

from flask import current_app
from sqlalchemy import and_, any_, bindparam, false, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from portal.extensions import db


@contextmanager
def collector_paused():
    """Python's cycle collector stays off while bulk work runs, and is restored as it was.
    Bulk work keeps thousands of values alive until it ends, so the collector promoted them
    and its full collections walked the whole process for nothing (a fifth of an upload
    batch's CPU on average, three full passes over a 10,000-row apply). Reference counting
    still frees as usual; cycles left meanwhile are collected after."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def column_values(column, rows: list[dict], dialect) -> list:
    """The column's value in each row, as the driver takes it (its type's own conversion,
    once per value, with no per-row statement handling); a row that leaves the column out
    takes its default."""
    key, default = column.key, column.default
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    fallback = None if default is None else default.arg
    if default is not None and default.is_callable:
        fallback = fallback(None)
    if key not in rows[0]:  # left out of every row: one value, converted once
        return [process(fallback) if process else fallback] * len(rows)
    try:
        values = list(map(itemgetter(key), rows))
    except KeyError:  # some rows leave it out: the default there
        values = [row.get(key, fallback) for row in rows]
    return list(map(process, values)) if process else values


def one_of(column, values: Iterable):
    """`column IN values`; on PostgreSQL `column = ANY(array)` with the values as one
    parameter. A statement of a thousand bound values cost psycopg more to send than the
    server to run it: the driver splits such a long, never-repeated text placeholder by
    placeholder (its cache stops at short statements), 10-20 ms each in a CSV preview."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def chunks(values: Iterable, size: int = 1_000) -> Iterable[list]:
    """`values` in lists of at most `size`: within every database's parameter limit for
    `one_of` (SQLite binds each value of an IN on its own)."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def pairs_in(columns: tuple, rows: Iterable[tuple]):
    """Rows whose `columns` hold one of the tuples `rows`, on PostgreSQL exactly: the tuples
    go as one array per column, unnested, and each is one probe of an index on the columns.
    Lists of values per column made the planner guess a thousand names times a thousand
    ZIP codes and scan the table (40-60 ms a statement among 100,000 institutions).
    Elsewhere each column IN its own list, a superset the caller narrows to the tuples:
    SQLite cannot look tuples up in an index."""
    rows = list(rows)
    if not rows:
        return false()
    values = list(zip(*rows, strict=True))
    if db.engine.dialect.name != "postgresql":
        return and_(*(column.in_(set(vs)) for column, vs in zip(columns, values, strict=True)))
    arrays = [
        bindparam(None, list(column_values), type_=ARRAY(column.type))
        for column, column_values in zip(columns, values, strict=True)
    ]
    names = [f"c{index}" for index in range(len(columns))]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    return tuple_(*columns).in_(select(*unnested.c))


def insert_rows(table, rows: list[dict]) -> None:
    """One INSERT sent with every row to the driver at once (a COPY on PostgreSQL), its
    values converted column by column (SQLAlchemy's own per-row parameter handling was a
    quarter of an import's apply CPU). The table's defaults fill the columns the rows leave
    out, a callable one (the creation time) evaluated once for the statement."""
    connection = db.session.connection()
    dialect = connection.dialect
    columns = _columns(table, rows)
    if dialect.name == "postgresql":
        _copy(connection, table, columns, rows)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=[c.key for c in columns])
    if compiled.positional:
        columns = [table.c[name] for name in compiled.positiontup]
    values = [column_values(column, rows, dialect) for column in columns]
    params = list(zip(*values, strict=True))
    if not compiled.positional:
        keys = [column.key for column in columns]
        params = [dict(zip(keys, one, strict=True)) for one in params]
    connection.exec_driver_sql(compiled.string, params)


class Copies:
    """Rows inserted in the caller's transaction while the caller goes on building the next
    ones: on PostgreSQL a thread of its own sends each table's rows as a COPY, one after
    another on the caller's connection, so the server takes in one set while Python builds
    the next (they took turns: an import's apply waited 0.8 s of its 2.2 s at COPY ends).
    Elsewhere each set is inserted at once. Used as a context manager; until it ends the
    caller must not touch the session: its connection is the sender's.

    `insert_new` returns the new rows' ids. On PostgreSQL they are drawn from the table's
    sequence on a second connection (a sequence is not transactional, and that server
    process draws them while the first one takes in the COPY before). `written(done)` is
    called as each set with a `done=` is in, for progress: from the sending thread, in an
    app context of its own (whose session is not the caller's: it must not write through
    it). A set the database refuses is raised in the caller's thread as the driver's error,
    ahead of any error the caller met after it (which came later in the rows)."""

    def __init__(self, *, written=lambda done: None):
        db.session.flush()  # whatever the caller added goes first, on its connection
        connection = db.session.connection()
        self._connection, self._written = connection, written
        self._sending = connection.dialect.name == "postgresql"
        self._app = current_app._get_current_object()
        self._queue = queue.Queue(maxsize=8)  # bounds the rows that wait
        self._thread = threading.Thread(target=self._send, name="bulk-copies", daemon=True)
        self._drawing = self._error = None
        self._cancelled = False

    def __enter__(self) -> "Copies":
        if self._sending:
            self._drawing = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._thread.start()
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if self._sending:
            # After the caller's error the sets queued before it are still sent (two rounds at
            # most), so that a refusal among them is the one raised, as it came first; after
            # an interrupt they are dropped.
            self._cancelled = kind is not None and not issubclass(kind, Exception)
            try:
                self._queue.put(None)
                self._thread.join()
            finally:
                self._drawing.close()
        if self._error is not None and (kind is None or issubclass(kind, Exception)):
            raise self._error from error

    def insert(self, table, rows: list[dict], *, done: int = 0) -> None:
        self._raise_if_failed()
        if self._sending:  # progress told from the sending thread alone, in order
            self._queue.put((table, rows, done))
            return
        if rows:
            insert_rows(table, rows)
        if done:
            self._written(done)

    def insert_new(self, table, rows: list[dict], *, done: int = 0) -> list[int]:
        """Insert rows without ids; returns their ids in the rows' order."""
        if not rows:
            return []
        if self._sending:
            sequence = select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            drawn = sequence.select_from(select(func.generate_series(1, len(rows))).subquery())
            ids = sorted(self._drawing.scalars(drawn))
            given = [row | {"id": id_} for row, id_ in zip(rows, ids, strict=True)]
            self.insert(table, given, done=done)
            return ids
        # SQLite keeps no order in a many-row RETURNING, but this transaction is its only
        # writer until it commits, and each new row takes the next id: ours are the newest.
        self.insert(table, rows, done=done)
        newest = select(table.c.id).order_by(table.c.id.desc()).limit(len(rows))
        return sorted(db.session.scalars(newest))

    def _send(self) -> None:
        with self._app.app_context():
            while (job := self._queue.get()) is not None:
                if self._error is not None or self._cancelled:
                    continue  # drained unsent, so that the caller's puts never block
                table, rows, done = job
                try:
                    if rows:
                        _copy(self._connection, table, _columns(table, rows), rows)
                    if done:
                        self._written(done)
                except BaseException as error:  # raised in the caller's thread
                    self._error = error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


def _columns(table, rows: list[dict]) -> list:
    given = set(rows[0])
    return [c for c in table.columns if c.key in given or c.default is not None]


def _copy(connection, table, columns, rows: list[dict]) -> None:
    """PostgreSQL runs an INSERT per row of an executemany (on the server too: a statement
    each); COPY loads the rows as one statement, in the same transaction, with the same
    constraints checked."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) FROM STDIN"
    values = [column_values(column, rows, dialect) for column in columns]
    cursor = connection.connection.driver_connection.cursor()
    # Shown to the engine's statement listeners as any statement is (counts, logs).
    connection.dispatch.before_cursor_execute(connection, cursor, statement, (), None, True)
    try:
        with cursor.copy(statement) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:  # raised as SQLAlchemy raises it for INSERT
        raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()
