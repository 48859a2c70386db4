"""The Sandbox page's sync controls go through the path of a real stale sync: the sync's
times move, the alert check runs for it at once, and the same sync status events and alert
emails follow (and the worker does not tell twice); recovering tells the recovery."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Event, OutboundEmail, Role, SyncAlert
from portal.services import Forbidden, PortalError
from portal.services.accounts import users
from portal.services.records import sandbox_sync
from portal.services.syncs import alerts, health
from tests.conftest import PASSWORD, signup
from tests.sandbox_world import running_sandbox_sync
from tests.webhook_receiver import Receiver
from tests.webhooks_world import deliver, hooked

PRACTICE = "Sandy Apps Demo Practice"


@pytest.fixture
def owner():
    return signup("Sandy Apps", "sam@sandy.example", "Sam Sandy")


def _events() -> list[str]:
    return list(db.session.scalars(select(Event.name).order_by(Event.id)))


def _emails() -> list[str]:
    return list(db.session.scalars(select(OutboundEmail.subject).order_by(OutboundEmail.id)))


def test_making_the_sandbox_sync_stale_sends_the_alerts_of_a_stopped_sync(owner):
    sync = running_sandbox_sync(owner)
    sandbox_sync.change(owner.organization, state="stale", side="both", actor=owner)
    db.session.expire_all()
    assert health.summary(sync).overall is health.Health.RED
    assert _events() == ["sync_status_read_change.red", "sync_status_write_change.red"]
    assert _emails() == [f"Sync stopped reading: {PRACTICE}", f"Sync stopped writing: {PRACTICE}"]
    assert {a.side for a in db.session.scalars(select(SyncAlert))} == {"read", "write"}
    assert alerts.check() == 0  # the worker's next pass does not tell again
    audited = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sandbox.sync_stale"))
    assert audited.actor_email == owner.email and audited.details["side"] == "both"


def test_recovering_the_sandbox_sync_sends_the_recovery(owner):
    running_sandbox_sync(owner)
    sandbox_sync.change(owner.organization, state="stale", side="both", actor=owner)
    sandbox_sync.change(owner.organization, state="recover", side="both", actor=owner)
    assert _events()[2:] == ["sync_status_read_change.green", "sync_status_write_change.green"]
    assert _emails()[2:] == [
        f"Sync is reading again: {PRACTICE}",
        f"Sync is writing again: {PRACTICE}",
    ]
    assert db.session.scalars(select(SyncAlert)).all() == []
    assert alerts.check() == 0


def test_reads_go_stale_without_writes(owner):
    sync = running_sandbox_sync(owner)
    sandbox_sync.change(owner.organization, state="stale", side="read", actor=owner)
    db.session.expire_all()
    assert health.of(sync.last_write_at) is health.Health.GREEN
    assert _events() == ["sync_status_read_change.red"]


def test_with_sync_emails_off_only_the_events_are_sent(owner):
    running_sandbox_sync(owner)
    alerts.set_notifications(owner.organization, on=False, actor=owner)
    sandbox_sync.change(owner.organization, state="stale", side="write", actor=owner)
    assert _events() == ["sync_status_write_change.red"] and _emails() == []


def test_a_subscribed_sandbox_endpoint_receives_the_stale_event_signed(owner):
    receiver = Receiver().start()
    try:
        running_sandbox_sync(owner)
        hooked(receiver, user=owner, event="sync_status_read_change")
        sandbox_sync.change(owner.organization, state="stale", side="read", actor=owner)
        assert deliver() == 2  # one event fanned out, one delivery sent
    finally:
        receiver.stop()
    [received] = receiver.received
    assert received.signature_ok
    assert received.message["event_name"] == "sync_status_read_change.red"
    assert received.message["data"]["sync_status"]["read_status"] == "red"


def test_without_a_running_sandbox_sync_nothing_changes(owner):
    with pytest.raises(PortalError, match="no running sync"):
        sandbox_sync.change(owner.organization, state="stale", side="both", actor=owner)
    assert (
        _events() == []
        and db.session.scalars(select(AuditEvent.action)).all().count("sandbox.sync_stale") == 0
    )


@pytest.mark.parametrize(("state", "side"), [("stale", "sideways"), ("melt", "both"), ("", "")])
def test_an_unknown_state_or_side_is_refused_in_words(owner, state, side):
    running_sandbox_sync(owner)
    with pytest.raises(PortalError):
        sandbox_sync.change(owner.organization, state=state, side=side, actor=owner)
    assert _events() == []


def test_viewers_cannot_move_the_sandbox_sync(owner):
    running_sandbox_sync(owner)
    viewer = users.add_member(owner.organization, "v@sandy.example", "V", PASSWORD, Role.VIEWER)
    with pytest.raises(Forbidden):
        sandbox_sync.change(owner.organization, state="stale", side="both", actor=viewer)
    assert _events() == []
