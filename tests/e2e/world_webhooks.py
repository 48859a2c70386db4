"""The page walk's webhooks and hosted onboarding: endpoints (one turned off) with
subscriptions and a delivery log, and a setup link a practice would be sent."""

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Enrollment, Mode, Sync, SyncStage
from portal.services import events, secrets
from portal.services.accounts import api_keys
from portal.services.onboarding import hosted
from portal.services.records.api_access import Caller
from portal.services.syncs import alerts
from portal.services.webhooks import deliveries, endpoints, outcomes, subscriptions
from portal.services.webhooks.dispatch import Sent
from portal.services.webhooks.sending import Answer

TARGET = "http://127.0.0.1:9/hooks"  # nothing listens there: the walk never delivers


def populate(world, alice) -> None:
    org = alice.organization
    live = db.session.get(Enrollment, world.ids["live"]).institution
    endpoint = endpoints.create(org, Mode.PRODUCTION, target_url=TARGET, by=alice).endpoint
    world.ids["endpoint_id"] = endpoint.id
    subscriptions.subscribe(
        endpoint, resource_type="SyncStatus", event="sync_status_read_change",
        institution=live, by=alice,
    )  # fmt: skip
    subscriptions.subscribe(
        endpoint, resource_type="Onboarding", event="onboarding_created", institution=None, by=alice
    )
    caller = Caller.of(api_keys.current_key(org, Mode.PRODUCTION))
    onboarding = hosted.create(caller, hosted.Wanted(details={"name": "Kilo Dental"}))
    world.links["practice_setup"] = f"/setup/{secrets.decrypt(onboarding.token_encrypted)}"
    events.record(
        "onboarding_created", organization=org, mode=Mode.PRODUCTION,
        data={"onboarding": hosted.summary(onboarding)},
    )  # fmt: skip
    db.session.commit()
    deliveries.fan_out("world")
    claimed = deliveries._claim("world", 10)
    answers = [Answer(200, "ok", 35), Answer(500, "Internal error", 120, "")]
    at = clock.now()
    sent = [Sent(due, answer, at) for due, answer in zip(claimed, answers, strict=False)]
    outcomes.record_all("world", sent)
    spare = endpoints.create(org, Mode.PRODUCTION, target_url=TARGET + "/old", by=alice)
    outcomes.turn_off(spare.endpoint, "The receiver answered HTTP 503.")
    db.session.commit()


def send_alert_emails() -> None:
    """A sync going quiet (the alert email); the turned-off endpoint's email is sent above."""
    sync = db.session.scalars(
        select(Sync).where(Sync.status == SyncStage.ACTIVE).order_by(Sync.id)
    ).first()
    sync.last_read_at = sync.last_write_at = clock.now() - timedelta(hours=1)
    db.session.commit()
    alerts.check()
