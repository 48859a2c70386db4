"""Webhook events fired from the Sandbox page: any event the organization's sandbox
endpoints subscribe to in its sandbox practice, with a sample payload shaped as the real
event's (a record of the practice as the API shows it, or its sync's status). It goes into
the event store like any other, so the worker fans it out, signs it and logs each delivery."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Event,
    Institution,
    Location,
    Mode,
    Organization,
    Sync,
    User,
    WebhookEndpoint,
    WebhookSubscription,
)
from portal.records import Appointment, Patient
from portal.services import PortalError, audit, commit, events
from portal.services.accounts.roles import Permission, require
from portal.services.dashboards import SandboxSummary, sandbox_summary
from portal.services.records import pending_writes, sandbox_events
from portal.services.syncs import alerts

# The record each resource's sample shows.
RECORDS = {"Appointment": Appointment, "Patient": Patient}


# The `reason` of a sample booking that did not go through, by outcome.
NOT_WRITTEN = {
    "failed": "The practice's system refused the booking (a sample reason).",
    "timed_out": pending_writes.TIMED_OUT,
}


def fireable(organization: Organization) -> list[str]:
    """The event names (with their outcome, such as `appointment_insertion.failed`) that an
    active subscription of an active sandbox endpoint takes in the sandbox practice. Sync
    status events need the practice's sync, whose status they carry."""
    summary = sandbox_summary(organization)
    if summary is None:
        return []
    subscribed = db.session.scalars(
        select(WebhookSubscription.event)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookSubscription.endpoint_id)
        .where(
            WebhookEndpoint.organization_id == organization.id,
            WebhookEndpoint.mode == Mode.SANDBOX,
            WebhookEndpoint.active.is_(True),
            WebhookSubscription.active.is_(True),
            WebhookSubscription.institution_id == summary.institution_id,
        )
        .distinct()
    ).all()
    has_sync = _sync(summary) is not None
    names = []
    for event in sorted(subscribed):
        kind = events.KINDS.get(event)
        sample = kind.resource_type in RECORDS if kind else False
        if not (sample or (kind and kind.resource_type == "SyncStatus" and has_sync)):
            continue
        names += [f"{event}.{outcome}" for outcome in kind.outcomes] or [event]
    return names


def fire(organization: Organization, name: str, *, actor: User) -> Event:
    """Send event `name` (one of `fireable`) with a sample payload to the sandbox endpoints
    subscribed to it. Audited. Raises Forbidden unless the actor manages webhooks,
    PortalError for an event not offered or a practice without a record to show."""
    require(actor, Permission.MANAGE_WEBHOOKS)
    if name not in fireable(organization):
        raise PortalError("Choose one of the events your sandbox endpoints subscribe to.")
    summary = sandbox_summary(organization)
    institution = db.session.get(Institution, summary.institution_id)
    event = events.record(
        name,
        organization=organization,
        mode=Mode.SANDBOX,
        institution=institution,
        data=_sample(name, summary),
    )
    audit.record(
        "sandbox.event_fired", actor=actor, organization=organization, target=institution,
        event=name,
    )  # fmt: skip
    commit()
    return event


def _sample(name: str, summary: SandboxSummary) -> dict:
    event, kind = events.kind_of(name)
    if kind.resource_type == "SyncStatus":
        status = alerts.status_of(_sync(summary))
        side = "read" if event == "sync_status_read_change" else "write"
        status[f"{side}_status"] = name.rpartition(".")[2]  # as the event says, red or green
        return {"sync_status": status}
    model = RECORDS[kind.resource_type]
    row = db.session.scalar(
        select(model).where(model.location_id == summary.location_id).order_by(model.id).limit(1)
    )
    if row is None:
        raise PortalError(
            f"Your sandbox practice has no {kind.resource_type.lower()} to send: reset its "
            "data first."
        )
    data = sandbox_events.shaped(row, db.session.get(Location, summary.location_id))
    outcome = name.rpartition(".")[2]
    if event == "appointment_insertion" and outcome in NOT_WRITTEN:
        # As a booking that did not go through is announced: cancelled, and why.
        data["appointment"]["cancelled"] = True
        data["reason"] = NOT_WRITTEN[outcome]
    return data


def _sync(summary: SandboxSummary) -> Sync | None:
    return db.session.scalar(
        select(Sync).where(Sync.institution_id == summary.institution_id).order_by(Sync.id)
    )
