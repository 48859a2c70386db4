"""A steady heartbeat (an active sync, settled, reporting the locations it reported before) is
one UPDATE outside any transaction: one round trip to PostgreSQL. Any change still goes
through the whole heartbeat, with the sync locked."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Enrollment, GrantStatus, Location, LocationGrant, SyncStage
from portal.services import commit
from portal.services.onboarding import grants
from portal.services.syncs import heartbeats
from tests import round_trips
from tests.round_trips import ON_POSTGRESQL
from tests.synchronizer.test_protocol import activate, beat, pending, where  # noqa: F401


@contextmanager
def statements(whole=False):
    """The statements (first words, or `whole`) sent on any engine (the app's and the steady
    heartbeat's own)."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "audit_events" not in statement:  # a refusal's denial row is its own write
            sent.append(statement if whole else statement.split()[0].upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def active(client, pending):  # noqa: F811
    """An active sync with three locations, and its agent token."""
    _, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    assert beat(client, token, locations=where(3)).status_code == 200
    db.session.refresh(sync)
    assert sync.status is SyncStage.ACTIVE
    return sync, token


def audits() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_an_unchanged_heartbeat_is_one_update(client, active):
    sync, token = active
    before, audited = sync.last_read_at, audits()
    with statements() as sent:
        answer = beat(client, token, locations=where(3))
    assert answer.status_code == 200
    assert answer.json["data"] == {"sync_id": sync.id, "status": "active"}
    assert sent == ["UPDATE"]
    db.session.refresh(sync)
    assert sync.last_read_at > before and audits() == audited


def test_a_renamed_or_new_location_is_written_by_the_whole_heartbeat(client, active):
    sync, token = active
    changed = where(3)
    changed[1]["name"] = "Office Two, renamed"
    with statements() as sent:
        assert beat(client, token, locations=changed).status_code == 200
    assert len(sent) > 2
    names = db.session.scalars(
        select(Location.name).where(Location.institution_id == sync.institution_id)
    )
    assert "Office Two, renamed" in set(names)
    audited = audits()
    assert beat(client, token, locations=where(4)).status_code == 200
    located = select(func.count(Location.id)).where(Location.institution_id == sync.institution_id)
    assert db.session.scalar(located) == 4
    assert audits() == audited + 1  # the new location is announced


def test_a_moved_location_updates_its_time_zone(client, active):
    sync, token = active
    moved = where(3)
    moved[0]["state"] = "CA"
    assert beat(client, token, locations=moved).status_code == 200
    zone = db.session.scalar(
        select(Location.tz).where(
            Location.institution_id == sync.institution_id, Location.foreign_id == "1"
        )
    )
    assert zone == "America/Los_Angeles"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="round trips to a server: PostgreSQL's")
def test_an_unchanged_heartbeat_is_one_round_trip_to_postgresql(client, active, tmp_path):
    _, token = active

    def warm_up():  # the pools' connections, opened by a steady heartbeat
        assert beat(client, token, locations=where(3)).status_code == 200

    engines = (db.engine, heartbeats._autocommit_engine())
    with round_trips.traced(tmp_path, warm_up, *engines) as trips:
        assert beat(client, token, locations=where(3)).status_code == 200
    assert trips == [1]  # no pool ping, BEGIN or COMMIT, and nothing on the app's pool


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite takes lists of values")
def test_the_steady_update_reads_the_same_for_three_or_nine_locations(client, active):
    _, token = active
    with statements(whole=True) as three:
        assert beat(client, token, locations=where(3)).status_code == 200
    with statements(whole=True) as nine:
        assert beat(client, token, locations=where(9)).status_code == 200
    assert three[0] == nine[0]  # psycopg splits texts of over 50 placeholders every time


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a server that drops connections: PostgreSQL")
def test_a_connection_the_server_dropped_costs_a_retry_not_an_error(client, active):
    sync, token = active
    pooled = heartbeats._autocommit_engine().raw_connection()
    pid = pooled.dbapi_connection.info.backend_pid
    pooled.close()  # back to the pool, where the next heartbeat takes it
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    db.session.commit()
    before = sync.last_read_at
    assert beat(client, token, locations=where(3)).status_code == 200
    db.session.refresh(sync)
    assert sync.last_read_at > before


def test_a_heartbeat_of_a_failed_sync_is_refused_and_changes_nothing(client, active):
    sync, token = active
    failed = client.post(
        "/synchronizer/v1/failures",
        json={"code": "E1", "message": "Disk full"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert failed.status_code == 200
    db.session.refresh(sync)
    last_read = sync.last_read_at
    assert beat(client, token, locations=where(3)).status_code == 409
    db.session.refresh(sync)
    assert sync.status is SyncStage.FAILED and sync.last_read_at == last_read


def test_an_unchanged_heartbeat_still_settles_an_enrollment_that_lost_its_access(
    client,
    pending,  # noqa: F811
):
    enrollment, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    assert beat(client, token, locations=where(1)).status_code == 200  # live, one grant
    grants.stop(db.session.get(Enrollment, enrollment.id).grants)
    commit()
    with statements() as sent:
        assert beat(client, token, locations=where(1)).status_code == 200
    assert len(sent) > 1
    active_grants = select(func.count(LocationGrant.id)).where(
        LocationGrant.enrollment_id == enrollment.id, LocationGrant.status == GrantStatus.ACTIVE
    )
    assert db.session.scalar(active_grants) == 1


def test_a_steady_heartbeat_from_the_future_is_refused(client, active):
    sync, token = active
    later = (clock.now() + timedelta(hours=1)).isoformat()
    answer = beat(client, token, last_read_at=later, locations=where(3))
    assert answer.status_code == 400 and "future" in answer.json["error"][0]


def test_an_unknown_token_is_refused_without_a_write(client, active):
    with statements() as sent:
        answer = beat(client, "agt_not-a-token", locations=where(3))
    # The steady UPDATE matches no row; the whole heartbeat's lookup refuses the token.
    assert answer.status_code == 401 and sent == ["UPDATE", "SELECT"]
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "denied.agent_credentials")
        )
        == 1
    )


def test_an_unknown_token_is_refused_as_such_whatever_its_body(client, active):
    answer = beat(client, "agt_not-a-token", locations="all")
    assert answer.status_code == 401
    _, token = active
    assert beat(client, token, locations="all").status_code == 400
