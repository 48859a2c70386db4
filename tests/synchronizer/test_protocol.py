"""The Synchronizer protocol over HTTP: activation once, heartbeats, failures, and every bad
input refused with a 4xx JSON message and nothing changed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    EnrollmentStatus,
    GrantStatus,
    Location,
    LocationGrant,
    Sync,
    SyncStage,
    User,
)
from portal.services.syncs import keys, setup
from tests.onboarding import institution, upgraded

V1 = "/synchronizer/v1"


@pytest.fixture
def pending(client):
    """A Dentrix sync waiting for its Synchronizer, and its product key."""
    user = upgraded("Alpha Apps", "alice@alpha.example")
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FRONTDESK", actor=user)
    return enrollment, sync, keys.product_key(sync)


def activate(client, key, **extra):
    return client.post(f"{V1}/activate", json={"product_key": key, "hostname": "FD-PC", **extra})


def beat(client, token, **body):
    now = clock.now().isoformat()
    payload = {"last_read_at": now, "last_write_at": now, "locations": [], **body}
    return client.post(
        f"{V1}/heartbeat", json=payload, headers={"Authorization": f"Bearer {token}"}
    )


def where(n: int) -> list[dict]:
    return [{"foreign_id": str(i), "name": f"Office {i}"} for i in range(1, n + 1)]


def snapshot():
    """Everything a refused call must leave as it was."""
    sync = db.session.scalars(select(Sync)).one()
    db.session.refresh(sync)
    return (
        sync.status,
        sync.agent_token_digest,
        sync.last_read_at,
        sync.last_write_at,
        db.session.scalar(select(func.count(Location.id))),
        # The trail of changes; a refused key or token adds its denial row, nothing else.
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action.not_like("denied.%"))
        ),
    )


def test_a_product_key_activates_once(client, pending):
    _, sync, key = pending
    first = activate(client, key.lower().replace("-", " "))  # typed loosely: same key
    assert first.status_code == 201 and first.json["data"]["agent_token"].startswith("agt_")
    assert sync.agent_token_digest != first.json["data"]["agent_token"]  # only a digest is kept
    again = activate(client, key)
    assert again.status_code == 409 and "already activated" in again.json["error"][0]


def test_a_regenerated_key_replaces_the_old_one_and_revokes_its_agent(client, pending):
    enrollment, sync, old = pending
    token = activate(client, old).json["data"]["agent_token"]
    db.session.refresh(sync)  # the activation happened in the server's session
    setup.regenerate_product_key(sync, actor=admin_of(enrollment))
    assert activate(client, old).status_code == 404
    assert beat(client, token).status_code == 401
    assert activate(client, keys.product_key(sync)).status_code == 201


def admin_of(enrollment):
    return db.session.scalars(
        select(User).where(User.organization_id == enrollment.organization_id)
    ).first()


def test_one_reported_location_makes_the_institution_live_with_green_health(client, pending):
    enrollment, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    response = beat(client, token, locations=where(1))
    assert response.status_code == 200 and response.json["data"]["status"] == "active"
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.LIVE
    grant = db.session.scalars(
        select(LocationGrant).where(LocationGrant.enrollment_id == enrollment.id)
    ).one()
    assert grant.status is GrantStatus.ACTIVE and grant.location.name == "Office 1"
    db.session.refresh(sync)
    assert sync.last_read_at and sync.last_write_at


def test_several_locations_wait_for_the_developers_choice_and_upsert_by_foreign_id(client, pending):
    enrollment, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    beat(client, token, locations=where(3))
    renamed = [{"foreign_id": "2", "name": "Office Two", "city": "Troy"}]
    assert beat(client, token, locations=renamed).status_code == 200
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.NEEDS_LOCATIONS
    names = db.session.scalars(
        select(Location.name)
        .where(Location.institution_id == enrollment.institution_id)
        .order_by(Location.foreign_id)
    ).all()
    assert names == ["Office 1", "Office Two", "Office 3"]


def test_health_only_moves_forward(client, pending):
    _, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    beat(client, token, locations=where(1))
    db.session.refresh(sync)
    latest = sync.last_read_at
    older = (clock.now() - timedelta(hours=2)).isoformat()
    assert beat(client, token, last_read_at=older, last_write_at=older).status_code == 200
    db.session.refresh(sync)
    assert sync.last_read_at == latest


def test_a_reported_failure_fails_the_sync_and_emails_the_admins(client, pending, mailbox):
    enrollment, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    response = client.post(
        f"{V1}/failures",
        json={"code": "db_unreachable", "message": "Cannot open the Dentrix database"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    db.session.refresh(enrollment)
    db.session.refresh(sync)
    assert sync.status is SyncStage.FAILED and enrollment.status is EnrollmentStatus.FAILED
    assert enrollment.status_reason == "Cannot open the Dentrix database"  # not its code
    (body,) = mailbox.bodies_to("alice@alpha.example")
    assert "Cannot open the Dentrix database" in body
    assert beat(client, token).status_code == 409  # a failed sync takes no heartbeats


FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "path, body, headers, status",
    [
        ("activate", {"product_key": "NOPE-NOPE"}, {}, 404),
        ("activate", {"hostname": "x"}, {}, 400),
        ("activate", {"product_key": 12.5}, {}, 400),
        ("activate", {"product_key": "x" * 65}, {}, 400),
        ("activate", ["not", "an", "object"], {}, 400),
        ("heartbeat", {}, {}, 401),
        ("heartbeat", {}, {"Authorization": "Bearer agt_unknown"}, 401),
        ("heartbeat", {}, {"Authorization": "Basic abc"}, 401),
        ("heartbeat", {"last_read_at": "yesterday"}, "token", 400),
        ("heartbeat", {"last_read_at": "2025-01-31T14:05:00"}, "token", 400),
        ("heartbeat", {"last_write_at": FUTURE}, "token", 400),
        ("heartbeat", {"locations": "all"}, "token", 400),
        ("heartbeat", {"locations": [{"name": "No id"}]}, "token", 400),
        ("heartbeat", {"locations": [{"foreign_id": "1"}]}, "token", 400),
        ("heartbeat", {"locations": where(1) + where(1)}, "token", 400),
        ("heartbeat", {"locations": where(501)}, "token", 400),
        (
            "heartbeat",
            {"locations": [{"foreign_id": "1", "name": "x", "state": "New York"}]},
            "token",
            400,
        ),
        ("failures", {"code": "x"}, "token", 400),
        ("failures", {"message": "m"}, {}, 401),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client, pending, path, body, headers, status
):
    _, sync, key = pending
    token = activate(client, key).json["data"]["agent_token"]
    if headers == "token":
        headers = {"Authorization": f"Bearer {token}"}
    before = snapshot()
    response = client.post(f"{V1}/{path}", json=body, headers=headers)
    assert response.status_code == status
    assert response.json["code"] is False and response.json["error"][0]
    assert snapshot() == before


def test_bodies_that_are_not_json_or_too_big_are_refused(client, pending):
    _, _, key = pending
    as_form = client.post(f"{V1}/activate", data={"product_key": key})
    assert as_form.status_code == 400 and "JSON" in as_form.json["error"][0]
    huge = client.post(
        f"{V1}/activate",
        data='{"product_key": "' + "x" * 70_000 + '"}',
        content_type="application/json",
    )
    assert huge.status_code == 413
    assert snapshot()[1] is None  # still not activated


def test_the_protocol_needs_no_csrf_token_but_the_portal_still_does(client, pending):
    _, _, key = pending
    assert activate(client, key).status_code == 201
    assert client.post("/portal/institutions/add/", data={}).status_code == 400
