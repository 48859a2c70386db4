"""The audit trail: a year of events across all organizations. One action is exactly a
tenth of the rows and another a hundredth, so exports of 10% and 1% can be filtered."""

import random
from collections.abc import Iterator
from datetime import timedelta

from benchmarks.plan import Plan

TENTH_ACTION = "sync.heartbeat_recorded"  # every 10th row: the 100,000-row export at full
HUNDREDTH_ACTION = "user.login"  # every 100th row (offset 1): the 1%-size export
OTHER_ACTIONS = [
    "institution.created",
    "sync.created",
    "sync.activated",
    "sync.locations_discovered",
    "enrollment.live",
    "enrollment.deactivated",
    "api_key.created",
    "invitation.sent",
    "access_request.sent",
]
TARGETS = {"institution": "Institution", "sync": "Sync", "enrollment": "Enrollment"}


def action_of(i: int, rng: random.Random) -> str:
    if i % 10 == 0:
        return TENTH_ACTION
    if i % 100 == 1:
        return HUNDREDTH_ACTION
    return rng.choice(OTHER_ACTIONS)


def events(plan: Plan, rng: random.Random) -> Iterator[dict]:
    total = plan.scale.audit_events
    step = timedelta(days=365) / max(total, 1)
    start = plan.now - timedelta(days=365)
    orgs = plan.scale.organizations
    for i in range(total):
        action = action_of(i, rng)
        org = None if i % 50 == 7 else 1 + rng.randrange(orgs)
        yield {
            "id": i + 1,
            "created_at": start + step * i,
            "actor_id": org,
            "actor_email": f"admin{org}@bench.example" if org else "",
            "organization_id": org,
            "action": action,
            "target_type": TARGETS.get(action.split(".")[0], "User"),
            "target_id": str(rng.randrange(1, plan.scale.institutions + 1)),
            "details": {},
            "ip_address": f"10.0.{i % 256}.{i // 256 % 256}",
        }
