"""The go-live checklist: each step turns done when its state arises (through the same calls a
developer, the staff, the API or the Synchronizer make) and not before; another
organization's progress never counts; all seven steps cost one query."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal import clock
from portal.extensions import db
from portal.models import ApiRequest, Mode
from portal.services import go_live, request_log
from portal.services.accounts import api_keys, upgrades, users
from portal.services.onboarding import consent
from portal.services.syncs import keys, setup
from portal.services.webhooks import delivery_log
from tests.api.conftest import Api, bearer_token, make_sandbox
from tests.conftest import PASSWORD, signup
from tests.onboarding import institution, upgraded
from tests.onboarding import live_practice as shared_practice
from tests.practice_world import V1, chart, live_practice, office, upload_chart
from tests.synchronizer.test_writes import book, collect, report
from tests.webhooks_world import deliver, hooked, patient_created


def done(organization) -> set[str]:
    return {step.name for step in go_live.checklist(organization) if step.done}


def logged(at_least: int, seconds: float = 20) -> None:
    """Wait until the request log's writer (about every second) stored `at_least` calls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request_log.flush()
        db.session.rollback()
        if db.session.scalar(select(func.count(ApiRequest.id))) >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} calls were logged within {seconds} s")


@pytest.fixture(autouse=True)
def empty_log():
    request_log.flush()
    db.session.execute(db.delete(ApiRequest))
    db.session.commit()


def test_a_new_organization_has_every_step_ahead_of_it_in_order():
    user = signup("Alpha Apps", "alice@alpha.example")
    steps = go_live.checklist(user.organization)
    assert [s.name for s in steps] == [
        "sandbox_key",
        "sandbox_call",
        "webhook_verified",
        "upgrade_approved",
        "production_key",
        "live_location",
        "production_write",
    ]
    assert not any(s.done for s in steps)
    assert all(s.title and s.to_do and s.done_note for s in steps)


def test_the_sandbox_key_step_is_done_once_a_sandbox_key_exists():
    user = signup("Alpha Apps", "alice@alpha.example")
    api_keys.create(user.organization, Mode.SANDBOX, actor=user)
    assert done(user.organization) == {"sandbox_key"}


def test_the_sandbox_call_step_waits_for_a_successful_sandbox_call(client):
    sandbox = make_sandbox("Alpha Apps", "alice@alpha.example")
    api = Api(client, bearer_token(client, sandbox.raw_key))
    assert api.get("/providers", **sandbox.at_location, bogus="1").status_code == 400
    logged(1)  # a refused call is in the log, and is not a success
    assert "sandbox_call" not in done(sandbox.organization)

    assert api.get("/patients", **sandbox.at_location, per_page=1).status_code == 200
    logged(2)
    assert "sandbox_call" in done(sandbox.organization)


def test_the_webhook_step_waits_for_a_test_event_the_endpoint_accepted(receiver):
    receiver.answers = [200, 500, 200]
    world = hooked(receiver)
    patient_created(world)
    deliver()  # an ordinary event delivered: not a verification
    assert "webhook_verified" not in done(world.admin.organization)

    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()  # the endpoint answered 500
    assert "webhook_verified" not in done(world.admin.organization)

    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()
    assert len(receiver.received) == 3
    assert "webhook_verified" in done(world.admin.organization)


def test_the_upgrade_step_waits_for_staff_approval():
    user = signup("Alpha Apps", "alice@alpha.example")
    upgrade = upgrades.request_upgrade(
        user.organization,
        legal_name="Alpha Apps LLC",
        billing_email="billing@alpha.example",
        expected_practices=3,
        actor=user,
    )
    assert "upgrade_approved" not in done(user.organization)
    staff = users.create_staff("staff@ops.example", PASSWORD)
    upgrades.approve([upgrade], actor=staff)
    db.session.refresh(user.organization)
    assert done(user.organization) == {"upgrade_approved"}


def test_the_production_key_step_needs_a_production_key_not_a_sandbox_one():
    user = upgraded("Alpha Apps", "alice@alpha.example")
    api_keys.create(user.organization, Mode.SANDBOX, actor=user)
    assert "production_key" not in done(user.organization)
    api_keys.create(user.organization, Mode.PRODUCTION, actor=user)
    assert {"sandbox_key", "production_key"} <= done(user.organization)


def test_the_live_location_step_waits_for_the_synchronizer_to_report_a_granted_location(client):
    user = upgraded("Alpha Apps", "alice@alpha.example")
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FRONTDESK", actor=user)
    activated = client.post(
        f"{V1}/activate", json={"product_key": keys.product_key(sync), "hostname": "FD"}
    )
    assert "live_location" not in done(user.organization)  # installed, no location yet

    now = clock.now().isoformat()
    beat = client.post(
        f"{V1}/heartbeat",
        json={"last_read_at": now, "last_write_at": now, "locations": [office("1")]},
        headers={"Authorization": f"Bearer {activated.json['data']['agent_token']}"},
    )
    assert beat.status_code == 200
    assert "live_location" in done(user.organization)


def test_a_location_the_practice_has_not_granted_yet_is_not_live(mailbox):
    practice = shared_practice()
    bravo = upgraded("Bravo Apps", "b@bravo.example")
    enrollment = consent.request_access(practice, actor=bravo)
    assert enrollment.grants  # requested, waiting for the practice
    assert "live_location" not in done(bravo.organization)

    raw = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(raw, grant=True)
    assert "live_location" in done(bravo.organization)


def test_the_production_write_step_waits_for_the_practice_to_apply_a_write(client):
    practice = live_practice(client)
    upload_chart(client, practice, chart(patients=2, appointments=0))
    api = Api(client, bearer_token(client, practice.raw_key))
    organization = practice.admin.organization

    assert book(api, practice, hour=10).status_code == 201
    [refused] = collect(client, practice)
    report(client, practice, {"id": refused["id"], "error": "The slot was taken."})
    assert book(api, practice, hour=11).status_code == 201
    [applied] = collect(client, practice)
    assert "production_write" not in done(organization)  # refused, and collected only

    report(client, practice, {"id": applied["id"], "foreign_id": "A1"})
    assert "production_write" in done(organization)
    assert {"upgrade_approved", "production_key", "live_location"} <= done(organization)


def test_another_organizations_progress_never_counts(client, receiver):
    practice = live_practice(client)
    upload_chart(client, practice, chart(patients=2, appointments=0))
    api = Api(client, bearer_token(client, practice.raw_key))
    book(api, practice)
    [write] = collect(client, practice)
    report(client, practice, {"id": write["id"], "foreign_id": "A1"})
    world = hooked(receiver)
    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()
    assert "webhook_verified" in done(world.admin.organization)

    stranger = signup("Zulu Apps", "zed@zulu.example")
    assert done(stranger.organization) == set()
    assert done(world.admin.organization) == {"webhook_verified"}


def test_the_whole_checklist_costs_one_query(client):
    organization = live_practice(client).admin.organization
    assert organization.production_enabled  # loaded, as Home has it from the signed-in user
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        steps = go_live.checklist(organization)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and len(steps) == 7


def test_each_step_names_who_may_do_it_in_words():
    by_name = {step.name: step for step in go_live.STEPS}
    assert by_name["sandbox_key"].who == "an Owner or Admin"
    assert by_name["webhook_verified"].who == "an Owner, Admin or Developer"


def test_the_call_and_webhook_steps_stay_done_once_their_logs_are_forgotten(client, receiver):
    sandbox = make_sandbox("Alpha Apps", "alice@alpha.example")
    api = Api(client, bearer_token(client, sandbox.raw_key))
    assert api.get("/patients", **sandbox.at_location, per_page=1).status_code == 200
    logged(1)
    world = hooked(receiver, user=sandbox.admin)
    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()
    assert {"sandbox_call", "webhook_verified"} <= done(sandbox.organization)

    with clock.travel(timedelta(days=31)):
        assert request_log.forget_old() >= 1 and delivery_log.forget_old() >= 1
    assert db.session.scalar(select(func.count(ApiRequest.id))) == 0
    assert {"sandbox_call", "webhook_verified"} <= done(sandbox.organization)


def test_a_later_call_or_test_event_never_moves_a_milestone(client, receiver):
    sandbox = make_sandbox("Alpha Apps", "alice@alpha.example")
    api = Api(client, bearer_token(client, sandbox.raw_key))
    api.get("/patients", **sandbox.at_location, per_page=1)
    logged(1)
    world = hooked(receiver, user=sandbox.admin)
    delivery_log.send_test(world.endpoint, by=world.admin)
    deliver()
    db.session.refresh(sandbox.organization)
    first = (sandbox.organization.first_sandbox_call_at, sandbox.organization.webhook_verified_at)

    with clock.travel(timedelta(hours=2)):
        api.get("/patients", **sandbox.at_location, per_page=1)
        logged(2)
        delivery_log.send_test(world.endpoint, by=world.admin)
        deliver()
    db.session.refresh(sandbox.organization)
    later = (sandbox.organization.first_sandbox_call_at, sandbox.organization.webhook_verified_at)
    assert None not in first and later == first
