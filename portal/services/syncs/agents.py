"""The Synchronizer's side of a sync (SPEC section 6): activation with a product key,
heartbeats with health and discovered locations, and failure reports.

Every refusal leaves the database as it was: checks come before the first change.
"""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Location, Sync, SyncStage
from portal.services import (
    Conflict,
    InvalidTransition,
    NotFound,
    PortalError,
    audit,
    commit,
    secrets,
)
from portal.services.onboarding import enrollments
from portal.services.records import timezones
from portal.services.syncs import keys, lifecycle
from portal.services.syncs.lifecycle import Change

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

    A key activates one Synchronizer: a second activation is refused until the key is
    regenerated. Raises NotFound for an unknown key, InvalidTransition (409) for a used key
    or a sync that is not installing.
    """
    sync = keys.find_by_product_key(product_key)
    if sync is None:
        audit.denial("agent_credentials", reason="unknown product key")
        raise NotFound("Unknown product key. Check it in the portal, on the sync's page.")
    token = "agt_" + secrets.base62(40)
    values = {
        "agent_token_digest": secrets.digest(token),
        "hostname": hostname[:200],
        "agent_version": version[:40],
        "activated_at": clock.now(),
    }
    details = {"hostname": hostname, "version": version}
    lifecycle.transition(sync, "activate", actor=None, change=Change(values, details=details))
    commit()
    return sync, token


def authenticate(token: str) -> Sync:
    """The sync of a bearer agent token, locked for this transaction: one report of a sync
    at a time, so parallel heartbeats see what the first one did. Unauthorized for unknown
    or revoked tokens."""
    sync = keys.find_by_agent_token(token, lock=True) if token else None
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
    for the developer's choice. Raises Conflict for a location that another
    Synchronizer of the practice reports, InvalidTransition for a sync that is not
    installing or active, PortalError for timestamps in the future.
    """
    refused = lifecycle.refusal(sync, "heartbeat")
    if refused:
        retry = (
            " Retry it in the portal, then activate again."
            if sync.status is SyncStage.FAILED
            else ""
        )
        raise InvalidTransition(refused + retry)
    known = _known_locations(sync, locations)
    _record_health(sync, last_read_at, last_write_at)
    if _upsert_locations(sync, known, locations):
        # New rows were added by institution id: a loaded collection would not list them.
        db.session.flush()
        db.session.expire(sync.institution, ["locations"])
    if sync.status is SyncStage.INSTALLING:
        lifecycle.transition(sync, "report", actor=None)
    else:
        enrollments.settle(sync)
    commit()
    return sync


def report_failure(sync: Sync, *, code: str, message: str) -> Sync:
    """The Synchronizer cannot work: the sync fails with its reason and the admins of the
    organization that created it are emailed. Raises InvalidTransition if it already failed.

    People read the message; the Synchronizer's code (`db_unreachable`) goes to the log."""
    current_app.logger.warning("Sync %s failed: %s", sync.id, code or "no code")
    reason = message.strip() or code.replace("_", " ").capitalize()
    lifecycle.transition(sync, "fail", actor=None, change=Change(reason=reason[:1000]))
    commit()
    return sync


def from_the_future(read: datetime | None, written: datetime | None) -> bool:
    """Whether a reported read or write time is in the future (beyond clock drift)."""
    latest = clock.now() + CLOCK_SKEW
    return any(moment and moment > latest for moment in (read, written))


def _record_health(sync: Sync, read: datetime | None, written: datetime | None) -> None:
    if from_the_future(read, written):
        raise PortalError("last_read_at and last_write_at cannot be in the future.")
    sync.last_read_at = _later(sync.last_read_at, read)
    sync.last_write_at = _later(sync.last_write_at, written)


def _later(current: datetime | None, reported: datetime | None) -> datetime | None:
    # Reports can arrive out of order; health only ever moves forward.
    if reported is None:
        return current
    return reported if current is None or reported > current else current


def _known_locations(sync: Sync, reported: list[ReportedLocation]) -> dict[str, Location]:
    """The institution's locations by foreign id; Conflict if one belongs to another sync."""
    known = {
        location.foreign_id: location
        for location in db.session.scalars(
            select(Location).where(Location.institution_id == sync.institution_id)
        )
    }
    for item in reported:
        location = known.get(item.foreign_id)
        if location is not None and location.sync_id not in (None, sync.id):
            audit.denial(
                "other_tenant",
                organization=sync.created_by_org,
                target_type="Location",
                target_id=location.id,
                sync=sync.id,
            )
            raise Conflict(
                f"Location {item.foreign_id} is reported by another Synchronizer of this "
                "practice; a Synchronizer reports only the locations of its own database."
            )
    return known


def _upsert_locations(
    sync: Sync, known: dict[str, Location], reported: list[ReportedLocation]
) -> list[str]:
    """Create or update the reported locations; returns the foreign ids of the new ones."""
    added = []
    for item in reported:
        location = known.get(item.foreign_id)
        if location is None:
            location = Location(institution_id=sync.institution_id, foreign_id=item.foreign_id)
            db.session.add(location)
            known[item.foreign_id] = location
            added.append(item.foreign_id)
        location.sync_id = sync.id
        for field in fields(ReportedLocation):
            if field.name != "foreign_id":
                setattr(location, field.name, getattr(item, field.name))
        location.tz = timezones.for_state(item.state)  # the time zone follows the address
    if added:
        audit.record(
            "sync.locations_discovered",
            actor=None,
            organization=lifecycle.owner(sync),
            target=sync,
            foreign_ids=added,
        )
    return added
