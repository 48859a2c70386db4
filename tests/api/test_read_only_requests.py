"""The API's GET operations read in autocommit (no BEGIN or ROLLBACK to the server, and
psycopg keeps its prepared statements); writes keep their transaction; and a write attempted
where a request declared it only reads is refused before it reaches the database."""

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from portal import reads
from portal.extensions import db
from portal.models import Organization
from portal.reads import WriteInReadOnlyRequest
from tests import round_trips
from tests.api.conftest import first_provider, new_patient_body
from tests.round_trips import ON_POSTGRESQL


def _autocommit(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "autocommit"):  # psycopg
        return dbapi_connection.autocommit is True
    return dbapi_connection.isolation_level is None  # sqlite3: no BEGIN of its own


def _in_transaction(dbapi_connection) -> bool:
    """Whether the driver holds a transaction open on the server (after a BEGIN it sent)."""
    if hasattr(dbapi_connection, "autocommit"):  # psycopg
        return dbapi_connection.info.transaction_status != TransactionStatus.IDLE
    return dbapi_connection.in_transaction  # sqlite3 sends BEGIN before a write only


@pytest.fixture
def statements(app):
    """(statement's verb, a transaction open once it ran) for every statement the app's
    engine runs meanwhile."""
    seen = []

    def note(connection, cursor, statement, parameters, context, executemany):
        dbapi = connection.connection.dbapi_connection
        seen.append((statement.split()[0].upper(), _in_transaction(dbapi)))

    engine = db.engine
    event.listen(engine, "after_cursor_execute", note)
    yield seen
    event.remove(engine, "after_cursor_execute", note)


def test_a_get_reads_every_statement_outside_a_transaction(api, sandbox, statements):
    response = api.get("/patients", per_page=5, **sandbox.at_location)

    assert response.status_code == 200 and len(response.get_json()["data"]) == 5
    selects = [in_transaction for verb, in_transaction in statements if verb == "SELECT"]
    assert len(selects) == 1  # the page, with the key's and the location's checks in it
    assert not any(selects)


def test_a_write_keeps_its_transaction(api, sandbox, statements):
    provider = first_provider(sandbox.location_id)
    response = api.post("/patients", new_patient_body(provider), **sandbox.at_location)

    assert response.status_code == 201
    writes = [in_transaction for verb, in_transaction in statements if verb == "INSERT"]
    assert writes and all(writes)


def test_on_sqlite_a_get_sends_its_selects_and_nothing_else(app, api, sandbox):
    """No ping at checkout (a file cannot drop a connection) and no isolation level to reset
    when the connection goes back: `PRAGMA read_uncommitted` made SQLite prepare every
    statement again, a sixth of the request's CPU."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's driver only: PostgreSQL's ping and autocommit switch are not traced")
    sent = []
    db.engine.dispose()
    trace = event.listens_for(db.engine, "connect")(
        lambda dbapi, _: dbapi.set_trace_callback(sent.append)
    )
    try:
        for _ in range(2):  # the second takes the first's connection back from the pool
            assert api.get("/patients", per_page=5, **sandbox.at_location).status_code == 200
    finally:
        event.remove(db.engine, "connect", trace)
        db.engine.dispose()

    # The connection's own settings (sqlite_pragmas) are made before the trace starts.
    assert all(statement.startswith("SELECT ") for statement in sent), sent
    assert "SELECT 1" not in sent
    # Each time one statement: the page, with the key's and the location's checks in it
    # (`test_a_list_of_patients_is_one_statement`); the request log writes on its own.
    assert len([s for s in sent if "FROM patients" in s and "FROM api_keys" in s]) == 2, sent
    assert len(sent) == 2, sent


def test_a_list_of_patients_is_one_statement(api, sandbox, statements):
    response = api.get("/patients", per_page=5, **sandbox.at_location)

    assert response.status_code == 200 and len(response.get_json()["data"]) == 5
    assert [verb for verb, _ in statements] == ["SELECT"]  # the key, the access, the page


@pytest.mark.skipif(not ON_POSTGRESQL, reason="round trips to a server: PostgreSQL's")
def test_a_list_of_patients_is_one_round_trip_to_postgresql(api, sandbox, tmp_path):
    def warm_up():  # the pool's connection, opened by a first list
        assert api.get("/patients", per_page=5, **sandbox.at_location).status_code == 200

    with round_trips.traced(tmp_path, warm_up, db.engine) as trips:
        assert api.get("/patients", per_page=5, **sandbox.at_location).status_code == 200
    assert trips == [1]  # the page with its checks: no ping, BEGIN, ROLLBACK or key alone


@pytest.fixture
def handed_out():
    """(the driver's connections statements ran on, those the pool dropped) from here on."""
    used, dropped = [], []

    def note_used(connection, cursor, statement, parameters, context, executemany):
        used.append(connection.connection.dbapi_connection)

    def note_dropped(dbapi_connection, record, exception):
        dropped.append(dbapi_connection)

    event.listen(db.engine, "before_cursor_execute", note_used)
    event.listen(db.engine, "invalidate", note_dropped)  # the engine's pool, whichever
    yield used, dropped
    event.remove(db.engine, "before_cursor_execute", note_used)
    event.remove(db.engine, "invalidate", note_dropped)


def _one_pooled_connection(api, sandbox):
    """The one idle connection the pool then holds, opened by a list: the driver's."""
    db.engine.dispose()
    assert api.get("/patients", per_page=1, **sandbox.at_location).status_code == 200
    pooled = db.engine.raw_connection()
    dbapi_connection = pooled.dbapi_connection
    pooled.close()
    return dbapi_connection


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a server that ends connections: PostgreSQL")
def test_a_pooled_connection_the_server_ended_is_replaced_not_an_error(api, sandbox, handed_out):
    pooled = _one_pooled_connection(api, sandbox)
    pid = pooled.info.backend_pid
    with psycopg.connect(_url(), autocommit=True) as other:
        ended = other.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()[0]
    assert ended is True
    used, dropped = handed_out
    used.clear()

    answer = api.get("/patients", per_page=1, **sandbox.at_location)
    assert answer.status_code == 200 and len(answer.get_json()["data"]) == 1
    assert dropped == [pooled] and used and pooled not in used


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a server that writes to idle connections")
def test_a_pooled_connection_with_only_a_notice_waiting_is_kept(api, sandbox, handed_out):
    pooled = _one_pooled_connection(api, sandbox)
    with db.engine.connect() as connection:  # the same one: the pool holds no other
        assert connection.connection.dbapi_connection is pooled
        connection.exec_driver_sql("LISTEN pool_check")
        connection.commit()
    with psycopg.connect(_url(), autocommit=True) as other:
        other.execute("NOTIFY pool_check")  # the idle connection's socket is now readable
    used, dropped = handed_out
    used.clear()

    answer = api.get("/patients", per_page=1, **sandbox.at_location)
    assert answer.status_code == 200
    assert used == [pooled] and dropped == []


def _url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def test_the_connection_goes_back_to_the_pool_transactional(api, sandbox):
    assert api.get("/patients", per_page=1, **sandbox.at_location).status_code == 200

    with db.engine.connect() as connection:
        assert not _autocommit(connection.connection.dbapi_connection)


def test_a_write_in_a_read_only_request_is_refused_and_nothing_is_written(app, sandbox):
    before = db.session.scalar(db.select(db.func.count(Organization.id)))
    with app.test_request_context("/api/patients"), app.app_context():
        reads.begin()
        db.session.add(Organization(name="Written by a GET"))
        with pytest.raises(WriteInReadOnlyRequest):
            db.session.flush()
        db.session.rollback()

    assert db.session.scalar(db.select(db.func.count(Organization.id))) == before
