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

`produced` is the thread itself, for any work done ahead of its caller (the import's
classifying rounds too, `import_rounds`).
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing

from portal import engines
from portal.extensions import db

AHEAD = 2  # batches fetched and waiting, beyond the one being worked on


def rows(query, batch: int) -> Iterator:
    """The rows of `query` (a select of columns), in order, fetched `batch` at a time."""
    if db.engine.dialect.name != "postgresql":
        yield from query.yield_per(batch)
        return
    statement, reader = query.statement, engine()

    def fetch(stopped):
        with reader.connect() as connection:
            yield from connection.execution_options(yield_per=batch).execute(statement).partitions()

    with closing(produced(fetch, name="read-ahead", waiting=AHEAD)) as parts:
        for part in parts:
            yield from part


def engine():
    """The engine whose connections read ahead (PostgreSQL's: SQLite does not use one)."""
    return engines.own("read ahead")


def produced(
    produce: Callable[[threading.Event], Iterable], *, name: str, waiting: int = 0
) -> Iterator:
    """The items of `produce(stopped)`, made by a thread named `name` while the caller works
    on the ones before; at most `waiting` wait for the caller (0: no bound). An error in the
    thread is raised to the caller. When the caller stops (closes this generator) or is done,
    so is the thread: at once if it waits for room, else once `produce` checks `stopped` or
    yields its next item; `produce` is closed in the thread (its connections returned)."""
    ahead = _Ahead(produce, name, waiting)
    try:
        yield from ahead.items()
    finally:
        ahead.stop()


class _Ahead:
    def __init__(self, produce, name: str, waiting: int):
        self._items: queue.Queue = queue.Queue(maxsize=waiting)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name=name, daemon=True)
        self._thread.start()

    def items(self) -> Iterator:
        while (item := self._items.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self._stopped.set()
        if threading.current_thread() is self._thread:  # collected there: it sees the stop
            return
        while self._thread.is_alive():
            try:  # room for a put that is waiting: it then sees the stop
                self._items.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)

    def _run(self, produce) -> None:
        try:
            with closing(iter(produce(self._stopped))) as items:
                for item in items:
                    if not self._put(item):
                        return
        except BaseException as error:  # raised in the caller's thread
            self._put(error)
            return
        self._put(None)

    def _put(self, item) -> bool:
        """Whether `item` was queued: False once the caller stopped."""
        while not self._stopped.is_set():
            try:
                self._items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
