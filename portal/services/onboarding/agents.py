"""The Synchronizer's side of a sync (SPEC section 6): activation with a product key,
heartbeats with health and discovered locations, and failure reports.

Every refusal leaves the database as it was: checks come before the first change.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal import clock, email
from portal.extensions import db
from portal.models import Location, Sync, SyncStage
from portal.services import Conflict, NotFound, PortalError, audit, commit, secrets
from portal.services.onboarding import syncs

CLOCK_SKEW = timedelta(minutes=5)  # agents' clocks drift; further in the future is a bug


class Unauthorized(PortalError):
    status_code = 401


@dataclass(frozen=True)
class ReportedLocation:
    foreign_id: str
    name: str
    street_address: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phone_number: str = ""


def activate(product_key: str, *, hostname: str, version: str) -> tuple[Sync, str]:
    """Exchange a product key for an agent token (returned once, stored as a digest).

    A key activates one Synchronizer: a second activation is a Conflict until the key is
    regenerated. Raises NotFound for an unknown key, Conflict for a used key or a sync that
    is not installing.
    """
    sync = syncs.find_by_product_key(product_key)
    if sync is None:
        raise NotFound("Unknown product key. Check it in the portal, on the sync's page.")
    if sync.agent_token_digest is not None:
        raise Conflict(
            "This product key has already activated a Synchronizer. "
            "Regenerate the key in the portal to install again."
        )
    if sync.status is not SyncStage.INSTALLING:
        raise Conflict(f"This sync is {syncs.LABELS[sync.status]}; it cannot be activated now.")
    token = "agt_" + secrets.base62(40)
    sync.agent_token_digest = secrets.digest(token)
    sync.hostname, sync.agent_version = hostname[:200], version[:40]
    sync.activated_at = clock.now()
    audit.record(
        "sync.activated",
        actor=None,
        organization=syncs.owner(sync),
        target=sync,
        hostname=hostname,
        version=version,
    )
    commit()
    return sync, token


def authenticate(token: str) -> Sync:
    """The sync of a bearer agent token; Unauthorized for unknown or revoked tokens."""
    sync = syncs.find_by_agent_token(token) if token else None
    if sync is None:
        raise Unauthorized("Unknown or revoked agent token. Activate again with a product key.")
    return sync


def heartbeat(
    sync: Sync,
    *,
    last_read_at: datetime | None,
    last_write_at: datetime | None,
    locations: list[ReportedLocation],
) -> Sync:
    """Record the sync's last read and write and upsert its locations (by `foreign_id`).

    The first heartbeat completes the install: one location goes live at once, several wait
    for the developer's choice. Raises Conflict for a failed sync, PortalError for
    timestamps in the future.
    """
    if sync.status is SyncStage.FAILED:
        raise Conflict("This sync is marked failed. Retry it in the portal, then activate again.")
    latest = clock.now() + CLOCK_SKEW
    if any(moment and moment > latest for moment in (last_read_at, last_write_at)):
        raise PortalError("last_read_at and last_write_at cannot be in the future.")
    sync.last_read_at = _later(sync.last_read_at, last_read_at)
    sync.last_write_at = _later(sync.last_write_at, last_write_at)
    if _upsert_locations(sync, locations):
        # New rows were added by institution id: a loaded collection would not list them.
        db.session.flush()
        db.session.expire(sync.institution, ["locations"])
    if sync.status is SyncStage.INSTALLING:
        syncs.report(sync)
    else:
        syncs.settle(sync)
    commit()
    return sync


def report_failure(sync: Sync, *, code: str, message: str) -> None:
    """The Synchronizer cannot work: the sync fails with its reason and the admins of the
    organization that created it are emailed. Raises InvalidTransition if it already failed."""
    reason = f"{message} ({code})" if code else message
    syncs.fail(sync, reason=reason[:1000], actor=None)
    for admin in syncs.admins_of(sync):
        email.sync_failed(admin, sync, sync.failure_reason)
    commit()


def _later(current: datetime | None, reported: datetime | None) -> datetime | None:
    # Reports can arrive out of order; health only ever moves forward.
    if reported is None:
        return current
    return reported if current is None or reported > current else current


def _upsert_locations(sync: Sync, reported: list[ReportedLocation]) -> list[str]:
    """Create or update the reported locations; returns the foreign ids of the new ones."""
    known = {
        location.foreign_id: location
        for location in db.session.scalars(
            select(Location).where(Location.institution_id == sync.institution_id)
        )
    }
    added = []
    for item in reported:
        location = known.get(item.foreign_id)
        if location is None:
            location = Location(institution_id=sync.institution_id, foreign_id=item.foreign_id)
            db.session.add(location)
            known[item.foreign_id] = location
            added.append(item.foreign_id)
        location.sync_id = sync.id
        for field in ReportedLocation.__dataclass_fields__:
            if field != "foreign_id":
                setattr(location, field, getattr(item, field))
    if added:
        audit.record(
            "sync.locations_discovered",
            actor=None,
            organization=syncs.owner(sync),
            target=sync,
            foreign_ids=added,
        )
    return added
