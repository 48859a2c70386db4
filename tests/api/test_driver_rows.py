"""A prebuilt select's plain rows come straight from the driver (`driver_rows`): the same
rows and names SQLAlchemy gives for the same statement and values, its values converted by
their types; a statement whose rows need converting, or whose values are expanded per call,
goes through SQLAlchemy; the engine's listeners see each statement, and a driver error is
SQLAlchemy's error, the connection dropped when the server has gone."""

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import (
    Numeric,
    String,
    bindparam,
    cast,
    event,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import ApiKey, Mode
from portal.records import Patient
from portal.services import driver_rows
from portal.services.accounts import api_tokens
from portal.services.records import api_access, patient_search
from portal.services.records.patient_search import Filters
from tests.api.conftest import bearer_token, patients_at
from tests.round_trips import ON_POSTGRESQL


@pytest.fixture
def seen():
    """(statement text, whether SQLAlchemy ran it) for each statement from here on."""
    statements = []

    def note(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, context is not None))

    event.listen(db.engine, "before_cursor_execute", note)
    yield statements
    event.remove(db.engine, "before_cursor_execute", note)


def _through_sqlalchemy(statement, values):
    return db.session.connection().execute(statement, values).all()


def _as_dicts(rows) -> list[dict]:
    return [row._asdict() for row in rows]


@pytest.fixture
def patients(sandbox):
    """The sandbox, with its demo practice's patients."""
    assert patients_at(sandbox.location_id) >= 5
    return sandbox


@pytest.mark.parametrize(
    "filters, page",
    [
        (Filters(), {"sort": "id", "per_page": 4}),
        (Filters(), {"sort": "-updated_at", "per_page": 2}),
        (Filters(name="a"), {"sort": "id", "per_page": 100}),
        (Filters(inactive=False, updated_since=datetime(2000, 1, 1, tzinfo=UTC)), {}),
        (Filters(new_patient=True), {"sort": "-id", "per_page": 3}),
    ],
)
def test_a_page_of_patients_is_what_sqlalchemy_reads(client, patients, monkeypatch, filters, page):
    token = bearer_token(client, patients.raw_key)
    claims = api_tokens.genuine(token)
    reach = api_access.reach(api_tokens.caller_for(token), patients.subdomain, claims)
    page = {"sort": "id", "per_page": 1000} | page

    def search(**cursor):
        return patient_search.search(patients.location_id, filters, reach=reach, **page, **cursor)

    direct = search()
    cursor = direct.page_info["end_cursor"]
    second = search(end_cursor=cursor)
    monkeypatch.setattr(driver_rows, "_direct", lambda statement, dialect: None)
    expected, expected_second = search(), search(end_cursor=cursor)

    assert direct.items and _as_dicts(direct.items) == _as_dicts(expected.items)
    assert direct.page_info == expected.page_info
    assert _as_dicts(second.items) == _as_dicts(expected_second.items)
    assert second.page_info == expected_second.page_info


def test_values_are_converted_by_their_types(patients, seen):
    statement = (
        select(Patient.id, Patient.first_name, ApiKey.prefix)
        .join(ApiKey, ApiKey.organization_id == patients.organization.id)
        .where(Patient.updated_at >= bindparam("since"), ApiKey.mode == bindparam("mode"))
        .where(Patient.location_id == bindparam("location_id"))
        .order_by(Patient.id)
    )
    first = db.session.scalar(select(func.min(Patient.updated_at)))
    # The earliest time, told in another zone: the stored UTC time once converted.
    since = first.astimezone(timezone(timedelta(hours=5)))
    values = {"since": since, "mode": Mode.SANDBOX, "location_id": patients.location_id}

    rows = driver_rows.all(statement, values)

    assert seen[-1][1] is False  # the driver ran it, not SQLAlchemy
    assert len(rows) == patients_at(patients.location_id)
    assert rows == _through_sqlalchemy(statement, values)
    assert rows[0].first_name == rows[0][1] and rows[0]._fields == ("id", "first_name", "prefix")
    assert driver_rows.all(statement, values | {"mode": Mode.PRODUCTION}) == []
    with pytest.raises(ValueError, match="naive"):  # the type refuses a time without a zone
        driver_rows.all(statement, values | {"since": datetime.now()})


@pytest.mark.parametrize(
    "statement, values",
    [
        # A type that converts what it reads: the stored time comes back as an aware datetime.
        (select(Patient.id, Patient.updated_at).order_by(Patient.id), {}),
        # An IN list, expanded for each call's values.
        (select(Patient.id).where(Patient.id.in_(bindparam("ids", expanding=True))), "ids"),
        # A number with a scale: converted by the type the driver reports for the result.
        (select(Patient.id, cast(Patient.id, Numeric(10, 2)).label("amount")), {}),
    ],
    ids=["converted-rows", "expanded-values", "numeric"],
)
def test_other_statements_go_through_sqlalchemy(patients, seen, statement, values):
    if values == "ids":
        values = {"ids": [p.id for p in db.session.scalars(select(Patient)).all()[:2]]}

    rows = driver_rows.all(statement, values)

    assert seen[-1][1] is True
    assert rows == _through_sqlalchemy(statement, values) and rows
    if "updated_at" in rows[0]._fields:
        assert rows[0].updated_at.tzinfo is not None


def test_a_boolean_column_is_read_by_the_driver_only_where_it_needs_no_conversion(patients, seen):
    statement = select(Patient.id, Patient.inactive).order_by(Patient.id)

    rows = driver_rows.all(statement, {})

    assert [type(row.inactive) for row in rows] == [bool] * len(rows)
    # SQLite keeps booleans as integers: SQLAlchemy turns them into booleans there.
    assert seen[-1][1] is (not ON_POSTGRESQL)


def test_a_name_the_database_cannot_take_as_it_is_is_escaped(patients, seen):
    statement = select(Patient.id).where(Patient.id > bindparam("min.id")).order_by(Patient.id)

    rows = driver_rows.all(statement, {"min.id": 0})

    assert seen[-1][1] is False
    assert rows and rows == _through_sqlalchemy(statement, {"min.id": 0})


def test_a_driver_error_is_sqlalchemys_and_keeps_its_values_out_of_the_message(app, seen):
    column = literal_column("x", String)
    statement = select(column).select_from(table("no_such_table")).where(column == bindparam("e"))

    with pytest.raises(DBAPIError) as raised:
        driver_rows.all(statement, {"e": "alice@example.com"})

    assert "no_such_table" in raised.value.statement and seen[-1] == (raised.value.statement, False)
    assert not raised.value.connection_invalidated
    assert "alice@example.com" not in str(raised.value)  # the engine hides bound values


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a server that ends connections: PostgreSQL")
def test_a_connection_the_server_ended_is_dropped_and_the_next_read_works(patients):
    statement = select(Patient.id).order_by(Patient.id)
    assert driver_rows.all(statement, {})
    connection = db.session.connection()
    pid = connection.connection.dbapi_connection.info.backend_pid
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()[0]

    with pytest.raises(DBAPIError) as raised:
        driver_rows.all(statement, {})

    assert raised.value.connection_invalidated and connection.invalidated
    db.session.rollback()
    assert driver_rows.all(statement, {})
