"""A long select read a batch at a time, the next batches fetched ahead (`read_ahead`): the
same rows in the same order as the session reads them; on PostgreSQL on a connection of its
own, which goes back to the pool when the reader stops early or a fetch fails."""

import threading

import pytest
from sqlalchemy import Engine, event, insert, literal_column

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import commit, read_ahead
from tests.round_trips import ON_POSTGRESQL

ROWS, BATCH = 1_050, 100


@pytest.fixture
def events(app):
    rows = [{"action": f"action {i}", "target_id": str(i)} for i in range(ROWS)]
    db.session.execute(insert(AuditEvent), rows)
    commit()


def _query(*columns):
    return db.session.query(AuditEvent.id, AuditEvent.action, *columns).order_by(AuditEvent.id)


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


@pytest.fixture
def connections():
    """The driver's connection of each statement run from here on, on any engine."""
    seen = []

    def note(connection, cursor, statement, parameters, context, executemany):
        seen.append((statement, connection.connection.dbapi_connection))

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def test_the_rows_come_in_order_as_the_session_reads_them(events, connections):
    expected = _query().all()

    got = list(read_ahead.rows(_query(), BATCH))

    assert len(got) == ROWS and [tuple(r) for r in got] == [tuple(r) for r in expected]
    [(_, reader)] = [(s, c) for s, c in connections[1:] if "audit_events" in s]
    session_connection = db.session.connection().connection.dbapi_connection
    # PostgreSQL: a connection of its own, so that the server fetches while this one works.
    assert (reader is not session_connection) is ON_POSTGRESQL
    assert not _readers()


def test_a_reader_that_stops_early_ends_the_thread_and_returns_its_connection(events):
    reading = read_ahead.rows(_query(), BATCH)
    first = [next(reading) for _ in range(5)]

    reading.close()  # a download cut off by the client

    assert [row.action for row in first] == [f"action {i}" for i in range(5)]
    assert not _readers()
    if ON_POSTGRESQL:
        assert read_ahead.engine().pool.checkedout() == 0


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite divides by zero into NULL, no error")
def test_a_fetch_that_fails_is_raised_to_the_reader(events):
    # Row 500 divides by zero: the server fails when it reaches it.
    first_id = db.session.query(AuditEvent.id).order_by(AuditEvent.id).limit(1).scalar()
    failing = _query(literal_column(f"1 / (audit_events.id - {first_id + 500})"))
    read = []

    with pytest.raises(Exception, match="division by zero"):
        for row in read_ahead.rows(failing, BATCH):
            read.append(row)

    assert len(read) <= 500
    assert not _readers() and read_ahead.engine().pool.checkedout() == 0
