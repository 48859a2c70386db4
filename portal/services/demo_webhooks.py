"""The demo organization's webhooks: an endpoint that receives its production events (one
message delivered, one waiting for its next retry) and one turned off after 48 hours of
failures; and a sandbox endpoint that listens to the sandbox practice, for the Sandbox page's
controls. Their hosts are placeholders nothing is ever sent to, so the rows are written as
the worker would have left them, as the demo's delivered emails are."""

from datetime import timedelta

from portal import clock
from portal.extensions import db
from portal.models import DeliveryStatus, Enrollment, Mode, User, WebhookDelivery, WebhookEndpoint
from portal.services import commit, events, secrets
from portal.services.webhooks import subscriptions

S = DeliveryStatus


def build(admin: User) -> None:
    now = clock.now()
    working = _endpoint(admin, "https://hooks.acme-dental-apps.example/syncportal")
    broken = _endpoint(admin, "https://old.acme-dental-apps.example/hooks")
    broken.active, broken.disabled_at = False, now - timedelta(hours=3)
    broken.failing_since = now - timedelta(hours=51)
    broken.disabled_reason = (
        "Deliveries failed for 48 hours. The last error: The receiver answered HTTP 503."
    )
    db.session.flush()
    for endpoint in (working, broken):
        subscriptions.subscribe(
            endpoint, resource_type="Onboarding", event="onboarding_created", institution=None,
            by=admin,
        )  # fmt: skip
    _delivery(working, S.SUCCEEDED, 1, 200, "", ago=timedelta(hours=2))
    _delivery(working, S.PENDING, 2, 500, "The receiver answered HTTP 500.", retry_in=210)
    _delivery(broken, S.FAILED, 11, 503, "The receiver answered HTTP 503.", ago=timedelta(hours=3))
    commit()


def sandbox(admin: User, enrollment: Enrollment) -> None:
    """A sandbox endpoint listening to the sandbox practice's bookings and new patients, so
    the Sandbox page can fire them (its deliveries fail: nothing answers at the host)."""
    url = "https://sandbox-hooks.acme-dental-apps.example/syncportal"
    endpoint = _endpoint(admin, url, Mode.SANDBOX)
    db.session.flush()
    for event, resource in (
        ("appointment_insertion", "Appointment"),
        ("patient_created", "Patient"),
    ):
        subscriptions.subscribe(
            endpoint,
            resource_type=resource,
            event=event,
            institution=enrollment.institution,
            by=admin,
        )
    commit()


def _endpoint(admin: User, url: str, mode: Mode = Mode.PRODUCTION) -> WebhookEndpoint:
    secret = secrets.base62(32)
    endpoint = WebhookEndpoint(
        organization_id=admin.organization_id,
        mode=mode,
        target_url=url,
        active=True,
        secret_encrypted=secrets.encrypt(secret),
        secret_last_four=secret[-4:],
    )
    db.session.add(endpoint)
    return endpoint


def _delivery(endpoint, status, attempts, code, error, *, ago=timedelta(0), retry_in=0):
    now = clock.now()
    event = events.record(
        "onboarding_created",
        organization=endpoint.organization,
        mode=Mode.PRODUCTION,
        data={"onboarding": {"id": "demo", "status": "in_progress"}},
    )
    event.fanned_out_at = now - ago
    db.session.flush()
    db.session.add(
        WebhookDelivery(
            organization_id=endpoint.organization_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            status=status,
            attempts=attempts,
            first_attempt_at=now - ago - timedelta(minutes=1),
            last_attempt_at=now - ago,
            next_attempt_at=now + timedelta(seconds=retry_in),
            delivered_at=now - ago if status is S.SUCCEEDED else None,
            last_status_code=code,
            last_duration_ms=180,
            last_response_excerpt="ok" if code == 200 else "Service Unavailable",
            last_error=error,
            created_at=now - ago - timedelta(minutes=1),
        )
    )
