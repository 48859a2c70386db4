"""The API's GET operations read in autocommit (no BEGIN or ROLLBACK to the server, and
psycopg keeps its prepared statements); writes keep their transaction; and a write attempted
where a request declared it only reads is refused before it reaches the database."""

import pytest
from sqlalchemy import event

from portal import reads
from portal.extensions import db
from portal.models import Organization
from portal.reads import WriteInReadOnlyRequest
from tests.api.conftest import first_provider, new_patient_body


def _autocommit(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "autocommit"):  # psycopg
        return dbapi_connection.autocommit is True
    return dbapi_connection.isolation_level is None  # sqlite3: no BEGIN of its own


@pytest.fixture
def statements(app):
    """(statement, ran in autocommit) for every statement the app's engine runs meanwhile."""
    seen = []

    def note(connection, cursor, statement, parameters, context, executemany):
        dbapi = connection.connection.dbapi_connection
        seen.append((statement.split()[0].upper(), _autocommit(dbapi)))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_a_get_reads_every_statement_in_autocommit(api, sandbox, statements):
    response = api.get("/patients", per_page=5, **sandbox.at_location)

    assert response.status_code == 200 and len(response.get_json()["data"]) == 5
    selects = [autocommit for verb, autocommit in statements if verb == "SELECT"]
    assert len(selects) >= 3  # the key, the location, the page
    assert all(selects)


def test_a_write_keeps_its_transaction(api, sandbox, statements):
    provider = first_provider(sandbox.location_id)
    response = api.post("/patients", new_patient_body(provider), **sandbox.at_location)

    assert response.status_code == 201
    writes = [autocommit for verb, autocommit in statements if verb == "INSERT"]
    assert writes and not any(writes)


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
