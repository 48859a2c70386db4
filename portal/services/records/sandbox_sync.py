"""The sandbox's sync made to go stale or recover the way a real one does: its last read
and/or write time moves past SYNC_STALE_MINUTES (or to now), then the sync-alert check runs
for it at once, so the same `sync_status_<side>_change` events and alert emails follow as
for a practice whose Synchronizer stopped or came back. A Synchronizer still running for it
brings it back with its next report, as it would."""

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Organization, Sync, SyncStage, User
from portal.services import PortalError, audit, commit
from portal.services.accounts.roles import Permission, require
from portal.services.dashboards import sandbox_summary
from portal.services.syncs import alerts, health

# What the page offers, and the sides of the sync each moves.
SIDES = {"both": ("read", "write"), "read": ("read",), "write": ("write",)}
STATES = {"stale": True, "recover": False}


def sandbox_sync(organization: Organization) -> Sync | None:
    """The organization's active sync of its sandbox practice, if it has one."""
    summary = sandbox_summary(organization)
    if summary is None:
        return None
    return db.session.scalar(
        select(Sync)
        .where(
            Sync.institution_id == summary.institution_id,
            Sync.created_by_org_id == organization.id,
            Sync.status == SyncStage.ACTIVE,
        )
        .order_by(Sync.id)
        .limit(1)
    )


def change(organization: Organization, *, state: str, side: str, actor: User) -> Sync:
    """Make the sandbox sync's reads, writes or both `stale` (their last time past
    SYNC_STALE_MINUTES) or `recover` them (as if it just reported), then tell as the worker
    does: red or green events to subscribed endpoints, alert emails unless turned off.
    Audited; the telling is its own transaction, as the worker's. Raises Forbidden unless
    the actor manages onboarding, PortalError for an unknown state or side or without an
    active sandbox sync."""
    require(actor, Permission.MANAGE_ONBOARDING)
    if state not in STATES:
        raise PortalError("Choose whether the sync goes stale or recovers.")
    return _move(organization, side, actor, stale=STATES[state])


def _move(organization: Organization, side: str, actor: User, *, stale: bool) -> Sync:
    sides = SIDES.get(side)
    if sides is None:
        raise PortalError("Choose reads, writes, or both.")
    sync = sandbox_sync(organization)
    if sync is None:
        raise PortalError(
            "Your sandbox practice has no running sync: set up its Open Dental sync on its "
            "institution page and start its Synchronizer first."
        )
    stale_time = health.cutoff() - timedelta(minutes=1)
    for name in sides:
        column = f"last_{name}_at"
        if not stale:
            setattr(sync, column, clock.now())
        elif getattr(sync, column) is None or getattr(sync, column) > stale_time:
            setattr(sync, column, stale_time)  # one already older stays as it is
    action = "sandbox.sync_stale" if stale else "sandbox.sync_recovered"
    audit.record(action, actor=actor, organization=organization, target=sync, side=side)
    commit()
    alerts.check_sync(sync)
    return sync
