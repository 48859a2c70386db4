"""Sync-down alerts: one event and one email when a sync's read or write goes stale, one
more when it recovers, none while it stays down; per-organization email switch."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    Event,
    OutboundEmail,
    Sync,
    SyncStage,
)
from portal.services.onboarding import institutions
from portal.services.syncs import alerts
from tests.onboarding import live_practice, upgraded

LATER = timedelta(minutes=31)


@pytest.fixture
def practice():
    institution = live_practice()
    sync = institution.syncs[0]
    sync.last_read_at = sync.last_write_at = clock.now()
    db.session.commit()
    return institution


def _events() -> list[str]:
    return list(db.session.scalars(select(Event.name).order_by(Event.id)))


def _emails() -> list[str]:
    return list(db.session.scalars(select(OutboundEmail.subject).order_by(OutboundEmail.id)))


def _beat(sync: Sync, read=True, write=True) -> None:
    if read:
        sync.last_read_at = clock.now()
    if write:
        sync.last_write_at = clock.now()
    db.session.commit()


def test_a_sync_that_stops_is_told_once_and_not_again_while_it_stays_down(practice):
    assert alerts.check() == 0
    with clock.travel(LATER):
        assert alerts.check() == 2
        assert alerts.check() == 0
    with clock.travel(LATER * 10):
        assert alerts.check() == 0
    assert _events() == ["sync_status_read_change.red", "sync_status_write_change.red"]
    assert _emails() == [
        "Sync stopped reading: Shared Smiles",
        "Sync stopped writing: Shared Smiles",
    ]


def test_a_sync_that_recovers_is_told_once(practice):
    sync = practice.syncs[0]
    with clock.travel(LATER):
        alerts.check()
        _beat(sync)
        assert alerts.check() == 2
        assert alerts.check() == 0
    assert _events()[2:] == ["sync_status_read_change.green", "sync_status_write_change.green"]
    assert _emails()[2:] == [
        "Sync is reading again: Shared Smiles",
        "Sync is writing again: Shared Smiles",
    ]


def test_reads_and_writes_are_told_apart(practice):
    sync = practice.syncs[0]
    with clock.travel(LATER):
        _beat(sync, read=False)
        alerts.check()
    assert _events() == ["sync_status_read_change.red"]
    event = db.session.scalars(select(Event)).one()
    status = event.payload["sync_status"]
    assert (status["read_status"], status["write_status"]) == ("red", "green")
    assert event.institution_id == practice.id and event.resource_type == "SyncStatus"


def test_the_email_says_since_when_and_links_the_institution(practice):
    with clock.travel(LATER):
        alerts.check()
    email = db.session.scalars(select(OutboundEmail)).first()
    assert email.recipient == "a@alpha.example"
    assert "31 minutes ago" in email.body_text
    assert "/portal/institutions/" in email.body_text


def test_an_organization_with_sync_alerts_off_gets_the_event_but_no_email(practice):
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.institution_id == practice.id)
    ).one()
    alerts.set_notifications(enrollment.organization, on=False, actor=None)
    with clock.travel(LATER):
        alerts.check()
    assert len(_events()) == 2 and _emails() == []


def test_every_organization_live_on_the_practice_is_told_and_no_other(practice):
    other = upgraded("Beta Apps", "b@beta.example")
    waiting = upgraded("Gamma Apps", "g@gamma.example")
    for user, status in (
        (other, EnrollmentStatus.LIVE),
        (waiting, EnrollmentStatus.AWAITING_CONSENT),
    ):
        db.session.add(
            Enrollment(
                organization_id=user.organization_id,
                institution_id=practice.id,
                mode=practice.mode,
                status=status,
            )
        )
    db.session.commit()
    with clock.travel(LATER):
        alerts.check()
    recipients = set(db.session.scalars(select(OutboundEmail.recipient)))
    assert recipients == {"a@alpha.example", "b@beta.example"}
    told = set(db.session.scalars(select(Event.organization_id)))
    assert told == {practice_owner(practice), other.organization_id}


def practice_owner(practice) -> int:
    return db.session.scalar(
        select(Enrollment.organization_id).where(Enrollment.institution_id == practice.id)
    )


def test_syncs_not_running_are_not_alerted(practice):
    owner = upgraded("Delta Apps", "d@delta.example")
    enrollment = institutions.create(
        institutions.Details(
            name="Quiet Dental", street_address="2 Elm St", city="Albany", state="NY",
            zip_code="12207", phone_number="(518) 555-0199",
        ),
        actor=owner,
        mode=practice.mode,
    )  # fmt: skip
    for stage in (SyncStage.INSTALLING, SyncStage.FAILED):
        db.session.add(
            Sync(
                institution_id=enrollment.institution_id, ehr="dentrix",
                install_method=practice.syncs[0].install_method, status=stage,
                last_read_at=clock.now(), last_write_at=clock.now(),
            )
        )  # fmt: skip
    db.session.commit()
    with clock.travel(LATER):
        alerts.check()
    assert {e.institution_id for e in db.session.scalars(select(Event))} == {practice.id}


def test_two_workers_raise_an_alert_once(practice):
    sync = practice.syncs[0]
    with clock.travel(LATER):
        assert alerts._went_down(sync.id, "read") == 1
        assert alerts._went_down(sync.id, "read") == 0
    assert _events() == ["sync_status_read_change.red"]
