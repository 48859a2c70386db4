"""Decisions two people (or processes) race on, with real concurrency: staff in two browsers
of a live server on PostgreSQL, or twenty agents reporting at once. Exactly one decision
applies, with one audit row and one email; every loser gets a page (never a 500) saying
what happened."""

import re
import threading

import httpx
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
    OutboundEmail,
    RequestStatus,
    SyncStage,
    UpgradeRequest,
)
from portal.services import commit
from portal.services.accounts import upgrades, users
from portal.services.onboarding import activations, grants
from portal.services.syncs import keys, setup
from tests.conftest import PASSWORD, signup
from tests.onboarding import (
    enrollment_in,
    institution,
    scheduled_with_windows,
    sync_in,
    upgraded,
)


@pytest.fixture(autouse=True)
def _postgresql(app):
    # SQLite runs one writer at a time in one process; the races that matter happen between
    # gunicorn workers on PostgreSQL, which is what these tests drive.
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency races are checked on PostgreSQL (TEST_DATABASE_URL)")


def _staff_browser(live_server: str, email: str) -> httpx.Client:
    users.create_staff(email, PASSWORD)
    browser = httpx.Client(base_url=live_server, follow_redirects=True, timeout=60)
    token = _token(browser, "/login")
    browser.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    return browser


def _token(browser: httpx.Client, path: str) -> str:
    page = browser.get(path).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _at_once(*calls) -> list:
    """Run the calls in threads released together; their results in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def two_staff(live_server):
    return (
        _staff_browser(live_server, "olive@ops.example"),
        _staff_browser(live_server, "oscar@ops.example"),
    )


def _decide(browser, queue: str, action: str, row_id: int, reason: bool):
    """One staff member's decision through the queue, as the browser sends it."""
    if reason:  # a rejection goes through the review page
        review = f"{queue}bulk/?action={action}&id={row_id}"
        token = _token(browser, review)
        return lambda: browser.post(review, data={"csrf_token": token, "reason": "Not now"})
    token = _token(browser, queue)
    form = {"csrf_token": token, "action": action, "rowid": str(row_id)}
    return lambda: browser.post(f"{queue}action/", data=form)


def _both_decide(two_staff, queue: str, row_id: int, actions: tuple[str, str]) -> list:
    """Two staff decide the same request at once; a rejection asks for its reason."""
    calls = [
        _decide(browser, queue, action, row_id, reason=action == "reject")
        for browser, action in zip(two_staff, actions, strict=True)
    ]
    return _at_once(*calls)


def _upgrade_request() -> UpgradeRequest:
    admin = signup("Racing Apps", "admin@racing.example")
    return upgrades.request_upgrade(
        admin.organization,
        legal_name="Racing Apps Inc.",
        billing_email="admin@racing.example",  # one address: one email per decision
        expected_practices=3,
        actor=admin,
    )


@pytest.mark.parametrize(
    "first, second", [("approve", "approve"), ("approve", "reject"), ("reject", "approve")]
)
def test_two_staff_deciding_one_upgrade_request_make_one_decision(two_staff, first, second):
    upgrade = _upgrade_request()
    responses = _both_decide(two_staff, "/ops/upgrade-requests/", upgrade.id, (first, second))

    assert [r.status_code for r in responses] == [200, 200]
    db.session.refresh(upgrade)
    assert upgrade.status in (RequestStatus.APPROVED, RequestStatus.REJECTED)
    assert (
        _count(
            AuditEvent,
            AuditEvent.action.like("upgrade.%"),
            AuditEvent.action != "upgrade.requested",
        )
        == 1
    )
    assert _count(OutboundEmail, OutboundEmail.template == "upgrade_decided") == 1
    assert upgrade.organization.production_enabled == (upgrade.status is RequestStatus.APPROVED)
    decider = upgrade.decided_by.email
    lost = [r.text for r in responses if "already" in r.text]
    assert len(lost) == 1 and f"already {upgrade.status.value} by {decider}" in lost[0]


@pytest.mark.parametrize("first, second", [("fulfil", "fulfil"), ("fulfil", "reject")])
def test_two_staff_deciding_one_activation_request_make_one_decision(
    two_staff, first, second, mailbox
):
    user = upgraded("Alpha Apps", "a@alpha.example")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE, "Tri Dental")
    offices = [
        Location(institution=enrollment.institution, foreign_id=str(i), name=f"Office {i}")
        for i in (1, 2)
    ]
    db.session.add_all(offices)
    db.session.flush()
    grants.grant(enrollment, offices[:1])
    commit()
    activation = activations.request(enrollment, [offices[1].id], actor=user)
    queue = "/ops/activation-requests/"
    responses = _both_decide(two_staff, queue, activation.id, (first, second))

    assert [r.status_code for r in responses] == [200, 200]
    assert (
        _count(AuditEvent, AuditEvent.action.in_(["activation.approved", "activation.rejected"]))
        == 1
    )
    assert _count(OutboundEmail, OutboundEmail.template == "activation_decided") == 1
    db.session.refresh(activation)
    active = _count(
        LocationGrant,
        LocationGrant.status == GrantStatus.ACTIVE,
        LocationGrant.enrollment_id == enrollment.id,
    )
    assert active == (2 if activation.status is RequestStatus.APPROVED else 1)
    assert sum("already" in r.text for r in responses) == 1


def _scheduled_sync():
    return scheduled_with_windows(upgraded("Alpha Apps", "a@alpha.example"))


def _cloud_sync():
    user = upgraded("Alpha Apps", "a@alpha.example")
    return sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING), "denticon", SyncStage.INSTALLING
    )


def _sync_action(browser, sync, action: str):
    review = f"/ops/syncs/bulk/?action={action}&id={sync.id}"
    token = _token(browser, review)
    form = {"csrf_token": token, "reason": "Wrong password", f"choice_{sync.id}": ""}
    if action == "confirm_window":
        form[f"choice_{sync.id}"] = sync.proposed_windows[0]
    return lambda: browser.post(review, data=form)


@pytest.mark.parametrize(
    "action, build, audit_action, template",
    [
        ("mark_installed", _cloud_sync, "sync.mark_installed", "sync_installed"),
        ("reject_credentials", _cloud_sync, "sync.reject_credentials", "credentials_rejected"),
        ("confirm_window", _scheduled_sync, "sync.confirm_window", "install_window_confirmed"),
    ],
)
def test_two_staff_taking_one_install_step_take_it_once(
    two_staff, action, build, audit_action, template
):
    sync = build()
    responses = _at_once(*[_sync_action(browser, sync, action) for browser in two_staff])
    assert [r.status_code for r in responses] == [200, 200]
    assert _count(AuditEvent, AuditEvent.action == audit_action) == 1
    assert _count(OutboundEmail, OutboundEmail.template == template) == 1
    assert sum("1 sync updated" in r.text for r in responses) == 1
    assert sum("already" in r.text for r in responses) == 1


def test_twenty_parallel_first_heartbeats_activate_the_sync_once(live_server):
    user = upgraded("Alpha Apps", "a@alpha.example")
    sync = setup.create_sync(institution(user), ehr="dentrix", server_name="FD", actor=user)
    agent = httpx.Client(base_url=live_server, timeout=60)
    token = agent.post(
        "/synchronizer/v1/activate", json={"product_key": keys.product_key(sync), "hostname": "FD"}
    ).json()["data"]["agent_token"]
    now = clock.now().isoformat()
    body = {
        "last_read_at": now,
        "last_write_at": now,
        "locations": [{"foreign_id": "1", "name": "Main"}],
    }

    def beat():
        with httpx.Client(base_url=live_server, timeout=60) as client:
            return client.post(
                "/synchronizer/v1/heartbeat",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )

    responses = _at_once(*[beat for _ in range(20)])
    assert [r.status_code for r in responses] == [200] * 20
    assert {r.json()["data"]["status"] for r in responses} == {"active"}
    assert _count(AuditEvent, AuditEvent.action == "sync.report") == 1
    assert _count(AuditEvent, AuditEvent.action == "enrollment.go_live") == 1
    assert _count(AuditEvent, AuditEvent.action == "sync.locations_discovered") == 1
    assert _count(Location, Location.sync_id == sync.id) == 1
    enrollment_grants = LocationGrant.enrollment.has(institution_id=sync.institution_id)
    assert _count(LocationGrant, enrollment_grants, LocationGrant.status == GrantStatus.ACTIVE) == 1


def test_the_upgrade_queue_counts_the_loser_as_skipped(two_staff):
    upgrade = _upgrade_request()
    olive, oscar = two_staff
    _decide(olive, "/ops/upgrade-requests/", "approve", upgrade.id, reason=False)()
    again = _decide(oscar, "/ops/upgrade-requests/", "approve", upgrade.id, reason=False)()
    assert "0 requests approved" in again.text
    assert "already approved by olive@ops.example" in again.text
    assert _count(UpgradeRequest, UpgradeRequest.status == RequestStatus.APPROVED) == 1
