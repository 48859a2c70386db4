"""Sync-down alerts, raised by a periodic worker task: when an active sync's read (or write)
goes stale past SYNC_STALE_MINUTES, every organization using it is told once, and once more
when it recovers; nothing repeats while it stays down.

    up   -> down   stale: a SyncAlert row is inserted (unique per sync and side: the one
                   insert that wins tells) and `sync_status_<side>_change.red` is recorded
    down -> up     fresh again: the row is deleted (the one DELETE that wins tells) and
                   `sync_status_<side>_change.green` is recorded

Telling an organization is a webhook event for each organization live on the practice,
and an email to its admins unless the organization turned sync notifications off.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from portal import catalogue, email
from portal.extensions import db
from portal.models import (
    Enrollment,
    Location,
    Organization,
    Sync,
    SyncAlert,
    SyncStage,
    User,
)
from portal.services import audit, commit, events, tenancy
from portal.services.accounts import members
from portal.services.syncs import health

SIDES = {"read": Sync.last_read_at, "write": Sync.last_write_at}
VERBS = {"read": ("reading", "read from"), "write": ("writing", "written to")}


@dataclass(frozen=True)
class Alert:
    sync: Sync
    side: str  # "read" or "write"
    down: bool
    since: datetime | None  # the last read (write) before it went down

    @property
    def headline(self) -> str:
        doing = VERBS[self.side][0]
        return f"Sync stopped {doing}" if self.down else f"Sync is {doing} again"

    @property
    def sentence(self) -> str:
        done = VERBS[self.side][1]
        system = catalogue.name_of(self.sync.ehr)
        if not self.down:
            return f"The Synchronizer has {done} {system} again: the sync is healthy."
        when = self.since.strftime("%Y-%m-%d %H:%M UTC") if self.since else "its install"
        return (
            f"The Synchronizer has not {done} {system} since {when} "
            f"({health.ago(self.since)}). Check that the practice's server is on and the "
            f"Synchronizer is running; we tell you again when it recovers."
        )


def check(_worker: str = "") -> int:
    """Raise alerts for syncs that went stale and clear those that recovered; returns how
    many changed. Each change is its own transaction."""
    return _check()


def check_sync(sync: Sync) -> int:
    """`check` for one sync, now rather than at the worker's next pass (the sandbox's
    controls move its times and tell at once). A worker racing it tells once all the same."""
    return _check(Sync.id == sync.id)


def _check(*only) -> int:
    changed = 0
    for side, column in SIDES.items():
        for sync_id in _stale_without_alert(side, column, *only):
            changed += _went_down(sync_id, side)
        for alert_id in _alerted_and_fresh(side, column, *only):
            changed += _came_back(alert_id)
    return changed


def set_notifications(organization: Organization, *, on: bool, actor: User) -> Organization:
    """Turn the organization's sync alert emails on or off (webhook events follow their
    subscriptions). Audited."""
    organization.sync_notifications = bool(on)
    audit.record("organization.sync_notifications", actor=actor, organization=organization, on=on)
    commit()
    return organization


def _stale_without_alert(side: str, column, *only) -> list[int]:
    alerted = exists().where(SyncAlert.sync_id == Sync.id, SyncAlert.side == side)
    return db.session.scalars(
        select(Sync.id)
        .where(Sync.status == SyncStage.ACTIVE, column < health.cutoff(), ~alerted, *only)
        .order_by(Sync.id)
    ).all()


def _alerted_and_fresh(side: str, column, *only) -> list[int]:
    return db.session.scalars(
        select(SyncAlert.id)
        .join(Sync, Sync.id == SyncAlert.sync_id)
        .where(SyncAlert.side == side, column >= health.cutoff(), *only)
        .order_by(SyncAlert.id)
    ).all()


def _went_down(sync_id: int, side: str) -> int:
    sync = db.session.get(Sync, sync_id)
    since = getattr(sync, f"last_{side}_at")
    if since is None or since >= health.cutoff():  # a heartbeat came in meanwhile
        return 0
    db.session.add(SyncAlert(sync_id=sync_id, side=side, down_since=since))
    try:
        db.session.flush()
    except IntegrityError:  # another worker raised it first
        db.session.rollback()
        return 0
    _tell(Alert(sync, side, True, since))
    commit()
    return 1


def _came_back(alert_id: int) -> int:
    alert = db.session.get(SyncAlert, alert_id)
    sync, side, since = db.session.get(Sync, alert.sync_id), alert.side, alert.down_since
    if health.of(getattr(sync, f"last_{side}_at")) is not health.Health.GREEN:
        return 0
    if db.session.execute(delete(SyncAlert).where(SyncAlert.id == alert_id)).rowcount != 1:
        db.session.rollback()  # another worker cleared it first
        return 0
    _tell(Alert(sync, side, False, since))
    commit()
    return 1


def _tell(alert: Alert) -> None:
    sync = alert.sync
    institution = sync.institution
    name = f"sync_status_{alert.side}_change.{'red' if alert.down else 'green'}"
    data = {"sync_status": status_of(sync)}
    for enrollment in _live_enrollments(sync):
        organization = enrollment.organization
        events.record(
            name,
            organization=organization,
            mode=institution.mode,
            institution=institution,
            data=data,
        )
        action = f"sync.{alert.side}_{'down' if alert.down else 'recovered'}"
        audit.record(action, actor=None, organization=organization, target=sync)
        if organization.sync_notifications:
            for admin in members.admins(organization):
                email.sync_alert(admin, alert, enrollment)


def _live_enrollments(sync: Sync) -> list[Enrollment]:
    return db.session.scalars(
        select(Enrollment)
        .where(
            Enrollment.institution_id == sync.institution_id,
            Enrollment.status.in_(tenancy.GRANTED),
        )
        .order_by(Enrollment.id)
    ).all()


def status_of(sync: Sync) -> dict:
    """The sync's status as the webhook message carries it (green or red, and since when)."""
    summary = health.summary(sync)
    locations = db.session.scalars(select(Location.id).where(Location.sync_id == sync.id)).all()
    return {
        "institution_id": sync.institution_id,
        "sync_id": sync.id,
        "sync_source_name": catalogue.name_of(sync.ehr),
        "read_status": "green" if summary.read is health.Health.GREEN else "red",
        "read_status_at": _iso(sync.last_read_at),
        "write_status": "green" if summary.write is health.Health.GREEN else "red",
        "write_status_at": _iso(sync.last_write_at),
        "location_ids": list(locations),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
