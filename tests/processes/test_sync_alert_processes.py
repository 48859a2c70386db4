"""Sync alerts between real processes: the simulated Synchronizer reports to the app served
on loopback; when it stops, `flask worker` finds the sync stale and tells the organization
(a signed webhook and its admins' email), and when it runs again, that it recovered."""

import signal

from portal.extensions import db
from portal.models import Enrollment, EnrollmentStatus, Sync, SyncStage
from portal.services.syncs import keys, setup
from portal.services.webhooks import endpoints, subscriptions
from tests.onboarding import institution, upgraded
from tests.processes.conftest import simulate, wait_for

# Stale after 15 seconds without a report, checked every second: minutes made seconds.
QUICK = {"SYNC_STALE_MINUTES": "0.25", "SYNC_ALERT_CHECK_SECONDS": "1"}


def fresh(model, row_id):
    db.session.expire_all()  # other processes changed it
    return db.session.get(model, row_id)


def reporting(live_server: str, product_key: str, state):
    """The Synchronizer running: a report every second, its agent token kept in `state`."""
    every_second = ("--interval", "1", "--count", "100000", "--state-file", str(state))
    return simulate(live_server, product_key, *every_second)


def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)


def test_a_stopped_synchronizer_is_reported_down_and_its_restart_recovered(
    live_server, receiver, workers, mailbox, tmp_path
):
    admin = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = institution(admin, "Hudson Family Dental")
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FRONTDESK", actor=admin)
    product_key = keys.product_key(sync)
    created = endpoints.create(
        admin.organization, enrollment.mode, target_url=receiver.url, by=admin
    )
    receiver.secret = created.secret
    subscriptions.subscribe(
        created.endpoint,
        resource_type="SyncStatus",
        event="sync_status_read_change",
        institution=enrollment.institution,
        by=admin,
    )

    agent = reporting(live_server, product_key, tmp_path / "agent")
    wait_for(lambda: fresh(Sync, sync.id).status is SyncStage.ACTIVE, what="the sync active")
    live = fresh(Enrollment, enrollment.id)
    assert live.status is EnrollmentStatus.LIVE, live.status
    worker = workers.start(**QUICK)
    stop(agent)  # the practice's server goes quiet

    wait_for(lambda: receiver.received, what="the webhook saying the sync is down")
    wait_for(lambda: mailbox.received, what="the admin's alert email")
    down = receiver.messages()[0]
    assert down["event_name"] == "sync_status_read_change.red"
    assert receiver.received[0].signature_ok
    assert down["data"]["sync_status"]["read_status"] == "red"
    subjects = [m["subject"] for m in mailbox.received]
    assert "Sync stopped reading: Hudson Family Dental" in subjects
    assert all(m["To"] == admin.email for m in mailbox.received)

    agent = reporting(live_server, product_key, tmp_path / "agent")  # the server is back
    wait_for(lambda: len(receiver.received) == 2, what="the webhook saying it recovered")
    wait_for(
        lambda: (
            "Sync is reading again: Hudson Family Dental"
            in [m["subject"] for m in mailbox.received]
        ),
        what="the recovery email",
    )
    stop(agent)
    workers.stop(worker)
    up = receiver.messages()[1]
    assert up["event_name"] == "sync_status_read_change.green"
    assert receiver.received[1].signature_ok
    assert [m["event_name"] for m in receiver.messages()] == [
        "sync_status_read_change.red",
        "sync_status_read_change.green",
    ]  # told once each way, nothing repeated while it was down
