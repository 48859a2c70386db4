"""The event store: what happened to an organization's data, named as NexHealth names its
webhook events, written in the transaction of the change that caused it.

`record` is the one call every area makes (`events.record("patient_created", ...)`); the
worker later fans each event out to the webhook endpoints subscribed to it
(`webhooks.deliveries.fan_out`). An event is never lost with a rolled-back change, nor
announced for a change that did not commit.
"""

from dataclasses import dataclass

from portal import clock
from portal.extensions import db
from portal.models import Event, Institution, Mode, Organization
from portal.services import bulk


@dataclass(frozen=True)
class Kind:
    resource_type: str
    outcomes: tuple[str, ...] = ()  # the suffixes the message's event_name carries
    institution: bool = True  # False: the resource belongs to no institution
    description: str = ""
    production_only: bool = False  # True: nothing in the sandbox can cause it


# The events we send: what a subscription names, the resource it is about, and the outcome
# that completes the event_name of each message (`appointment_insertion.failed`).
KINDS: dict[str, Kind] = {
    "appointment_insertion": Kind(
        "Appointment",
        ("complete", "failed", "timed_out"),
        description="A booking made through the API reached the health record system, or not.",
    ),
    "appointment_created": Kind("Appointment", description="A new appointment was found."),
    "appointment_updated": Kind("Appointment", description="An appointment changed."),
    "patient_created": Kind("Patient", description="A new patient was found or created."),
    "patient_updated": Kind("Patient", description="A patient changed."),
    "sync_status_read_change": Kind(
        "SyncStatus",
        ("red", "green"),
        description="The Synchronizer stopped reading (red) or read again (green).",
    ),
    "sync_status_write_change": Kind(
        "SyncStatus",
        ("red", "green"),
        description="The Synchronizer stopped writing (red) or wrote again (green).",
    ),
    # Onboardings are created with production keys only.
    "onboarding_created": Kind(
        "Onboarding",
        institution=False,
        description="A hosted onboarding link was created.",
        production_only=True,
    ),
    "onboarding_updated": Kind(
        "Onboarding",
        institution=False,
        description="A hosted onboarding moved on (system chosen, credentials, complete).",
        production_only=True,
    ),
}
RESOURCE_TYPES = sorted({kind.resource_type for kind in KINDS.values()})
TEST_EVENT = "webhook_test"  # sent by the portal's Send test event, to one endpoint only


def offered(mode: Mode) -> list[str]:
    """The events an endpoint of `mode` can subscribe to: those that can happen there."""
    return [
        name for name, kind in KINDS.items() if mode is Mode.PRODUCTION or not kind.production_only
    ]


def kind_of(name: str) -> tuple[str, Kind]:
    """The subscription event and its Kind for a message's event_name. Raises ValueError
    for a name we do not send (a programming error, not user input)."""
    event, _, outcome = name.partition(".")
    kind = KINDS.get(event)
    if kind is None or (outcome or None) not in (kind.outcomes or (None,)):
        raise ValueError(f"unknown event name {name!r}")
    return event, kind


def record(
    name: str,
    *,
    organization: Organization,
    mode: Mode,
    data: dict,
    institution: Institution | None = None,
) -> Event:
    """Add event `name` (e.g. "appointment_insertion.complete") to the caller's transaction;
    `data` is the message's `data` object, as JSON. Institution-owned events need their
    institution (subscriptions are per institution). Raises ValueError for a misuse."""
    event, kind = kind_of(name)
    if kind.institution and institution is None:
        raise ValueError(f"{name} events belong to an institution")
    row = Event(
        organization_id=organization.id,
        mode=mode,
        institution_id=institution.id if institution is not None and kind.institution else None,
        resource_type=kind.resource_type,
        event=event,
        name=name,
        payload=data,
    )
    db.session.add(row)
    return row


def record_all(
    name: str,
    *,
    organization: Organization,
    mode: Mode,
    institution: Institution,
    payloads: list[dict],
) -> None:
    """`record` for many events of one name, institution and organization (a batch of
    uploaded records): one INSERT for all (a COPY on PostgreSQL, where an executemany was
    an INSERT per event on the server), in the caller's transaction, in the order given."""
    if not payloads:
        return
    event, kind = kind_of(name)
    same = {
        "organization_id": organization.id,
        "mode": mode,
        "institution_id": institution.id if kind.institution else None,
        "resource_type": kind.resource_type,
        "event": event,
        "name": name,
    }
    bulk.insert_rows(Event.__table__, [same | {"payload": data} for data in payloads])


def record_test(endpoint) -> Event:
    """A test event for one endpoint; it is never fanned out to subscriptions."""
    row = Event(
        organization_id=endpoint.organization_id,
        mode=endpoint.mode,
        resource_type="WebhookEndpoint",
        event=TEST_EVENT,
        name=TEST_EVENT,
        payload={"webhook_endpoint_id": endpoint.id, "message": "A test event from SyncPortal."},
        fanned_out_at=clock.now(),
    )
    db.session.add(row)
    return row


OUTCOME_WORDS = {
    "complete": "complete",
    "failed": "failed",
    "timed_out": "timed out",
    "red": "stopped",
    "green": "recovered",
}


def label(name: str) -> str:
    """An event name in words: "Appointment insertion: timed out", "Test event"."""
    if name == TEST_EVENT:
        return "Test event"
    event, _, outcome = name.partition(".")
    words = event.replace("_", " ").capitalize()
    return f"{words}: {OUTCOME_WORDS.get(outcome, outcome)}" if outcome else words
