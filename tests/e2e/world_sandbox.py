"""The page walk's sandbox: the admin's sandbox practice has a running sync and a sandbox
endpoint subscribed to its bookings, so the Sandbox page shows every control with its
choices (the newcomer's shows what each control needs first)."""

from portal.models import Mode
from portal.services.webhooks import endpoints, subscriptions
from tests.sandbox_world import running_sandbox_sync
from tests.webhooks_world import sandbox_of

TARGET = "http://127.0.0.1:9/sandbox-hooks"  # nothing listens there: the walk never delivers


def populate(alice) -> None:
    running_sandbox_sync(alice)
    endpoint = endpoints.create(alice.organization, Mode.SANDBOX, target_url=TARGET, by=alice)
    subscriptions.subscribe(
        endpoint.endpoint,
        resource_type="Appointment",
        event="appointment_insertion",
        institution=sandbox_of(alice),
        by=alice,
    )
