"""A steady heartbeat (an active sync reporting the locations it reported before) is one read
and one UPDATE; any change still goes through the whole heartbeat, with the sync locked."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Location, Sync, SyncStage
from portal.services import InvalidTransition
from portal.services.syncs import agents, heartbeats
from tests.synchronizer.test_protocol import activate, beat, pending, where  # noqa: F401


@contextmanager
def statements():
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "audit_events" not in statement:  # a refusal's denial row is its own write
            sent.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


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


def test_an_unchanged_heartbeat_is_one_read_and_one_update(client, active):
    sync, token = active
    before, audited = sync.last_read_at, audits()
    with statements() as sent:
        answer = beat(client, token, locations=where(3))
    assert answer.status_code == 200
    assert answer.json["data"] == {"sync_id": sync.id, "status": "active"}
    assert sent == ["SELECT", "UPDATE"]
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


def test_a_heartbeat_read_before_its_sync_failed_is_refused_and_changes_nothing(app, active):
    sync, token = active
    seen = heartbeats.snapshot(token)
    agents.report_failure(db.session.get(Sync, sync.id), code="E1", message="Disk full")
    last_read = db.session.get(Sync, sync.id).last_read_at
    with pytest.raises(InvalidTransition):
        heartbeats.heartbeat(
            seen, token, last_read_at=clock.now(), last_write_at=clock.now(), locations=[]
        )
    db.session.rollback()
    assert db.session.get(Sync, sync.id).last_read_at == last_read


def test_a_steady_heartbeat_from_the_future_is_refused(client, active):
    sync, token = active
    later = (clock.now() + timedelta(hours=1)).isoformat()
    answer = beat(client, token, last_read_at=later, locations=where(3))
    assert answer.status_code == 400 and "future" in answer.json["error"][0]


def test_an_unknown_token_is_refused_without_a_write(client, active):
    with statements() as sent:
        answer = beat(client, "agt_not-a-token", locations=where(3))
    assert answer.status_code == 401 and sent == ["SELECT"]
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "denied.agent_credentials")
        )
        == 1
    )
