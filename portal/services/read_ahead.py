"""The rows of a long select, a batch at a time, read ahead while the caller works.

A streamed select on PostgreSQL fetches each batch from the server when the caller asks for
it, and the caller waits meanwhile: in the audit log's CSV export the fetches were a fifth of
the time, with the server idle while Python wrote each batch (BENCHMARKS.md). Here a thread
fetches the next batches on a connection of its own while the caller writes this one, so
the server produces rows while Python formats them. At most AHEAD batches wait, so memory
stays flat however long the select.

The thread's connection reads what was committed when the statement began, as the caller's
own statement would; it reads nothing else. SQLite, with no server to overlap, streams on
the session's connection as before.
"""

import queue
import threading
from collections.abc import Iterator

from portal import engines
from portal.extensions import db

AHEAD = 2  # batches fetched and waiting, beyond the one being worked on


def rows(query, batch: int) -> Iterator:
    """The rows of `query` (a select of columns), in order, fetched `batch` at a time."""
    if db.engine.dialect.name != "postgresql":
        yield from query.yield_per(batch)
        return
    ahead = _Ahead(engine(), query.statement, batch)
    try:
        for part in ahead.parts():
            yield from part
    finally:  # the caller stopped (a download cut off) or is done: so is the thread
        ahead.stop()


def engine():
    """The engine whose connections read ahead (PostgreSQL's: SQLite does not use one)."""
    return engines.own("read ahead")


class _Ahead:
    def __init__(self, engine, statement, batch: int):
        self._parts: queue.Queue = queue.Queue(maxsize=AHEAD)
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(engine, statement, batch), name="read-ahead", daemon=True
        )
        self._thread.start()

    def parts(self) -> Iterator[list]:
        while (part := self._parts.get()) is not None:
            if isinstance(part, BaseException):
                raise part
            yield part

    def stop(self) -> None:
        """End the thread, at once if it waits for room or after the fetch under way; its
        connection goes back to the pool."""
        self._stopped.set()
        if threading.current_thread() is self._thread:  # collected there: it sees the stop
            return
        while self._thread.is_alive():
            try:  # room for a put that is waiting: it then sees the stop
                self._parts.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)

    def _read(self, engine, statement, batch: int) -> None:
        try:
            with engine.connect() as connection:
                result = connection.execution_options(yield_per=batch).execute(statement)
                for part in result.partitions():
                    if not self._put(part):
                        return
        except BaseException as error:  # raised in the caller's thread
            self._put(error)
            return
        self._put(None)

    def _put(self, item) -> bool:
        """Whether `item` was queued: False once the caller stopped."""
        while not self._stopped.is_set():
            try:
                self._parts.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
