"""Builders for webhook tests: an organization with an endpoint subscribed to its sandbox
practice's events, a receiver on loopback, and a way to run the worker's webhook work."""

from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models import Enrollment, Institution, Mode, User, WebhookEndpoint
from portal.services import events
from portal.services.webhooks import deliveries, endpoints, subscriptions
from tests.conftest import signup
from tests.webhook_receiver import Receiver


@dataclass
class Hooked:
    admin: User
    endpoint: WebhookEndpoint
    secret: str
    institution: Institution
    receiver: Receiver


def sandbox_of(user: User) -> Institution:
    return db.session.scalar(
        select(Institution)
        .join(Enrollment, Enrollment.institution_id == Institution.id)
        .where(Enrollment.organization_id == user.organization_id, Institution.mode == Mode.SANDBOX)
    )


def hooked(
    receiver: Receiver, *, user: User | None = None, event="patient_created", url: str = ""
) -> Hooked:
    """An organization's sandbox endpoint at `receiver` (or `url`), subscribed to `event`."""
    user = user or signup("Hook Apps", "hooks@hookapps.example", "Hana Hook")
    created = endpoints.create(
        user.organization, Mode.SANDBOX, target_url=url or receiver.url, by=user
    )
    receiver.secret = created.secret
    institution = sandbox_of(user)
    kind = events.KINDS[event]
    subscriptions.subscribe(
        created.endpoint,
        resource_type=kind.resource_type,
        event=event,
        institution=institution if kind.institution else None,
        by=user,
    )
    return Hooked(user, created.endpoint, created.secret, institution, receiver)


def patient_created(world: Hooked, patient_id: int = 7) -> None:
    events.record(
        "patient_created",
        organization=world.admin.organization,
        mode=Mode.SANDBOX,
        institution=world.institution,
        data={"patients": [{"id": patient_id}]},
    )
    db.session.commit()


def deliver(worker: str = "test-worker") -> int:
    """What the worker does for webhooks on one pass: fan out, then send what is due."""
    return deliveries.fan_out(worker) + deliveries.send_due(worker)
