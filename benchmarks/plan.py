"""The shape of the generated world, decided up front from one seed: which organization each
institution belongs to, its enrollment status, its syncs and their health. Row builders in
`practices.py` turn it into rows; nothing here touches a database."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from benchmarks.sizes import Scale
from portal.catalogue import SYSTEMS
from portal.models import EnrollmentStatus, InstallMethod, SyncStage

# Every tab has rows, and most practices are live, as in a mature organization.
STATUS_WEIGHTS = {
    EnrollmentStatus.NEEDS_SYNC: 8,
    EnrollmentStatus.NEEDS_CREDENTIALS: 5,
    EnrollmentStatus.NEEDS_SCHEDULE: 4,
    EnrollmentStatus.NEEDS_LOCATIONS: 3,
    EnrollmentStatus.INSTALLING: 8,
    EnrollmentStatus.AWAITING_CONSENT: 7,
    EnrollmentStatus.FAILED: 5,
    EnrollmentStatus.LIVE: 55,
    EnrollmentStatus.DEACTIVATED: 5,
}
SYNC_STATUS = {
    EnrollmentStatus.NEEDS_CREDENTIALS: SyncStage.NEEDS_CREDENTIALS,
    EnrollmentStatus.NEEDS_SCHEDULE: SyncStage.NEEDS_SCHEDULE,
    EnrollmentStatus.INSTALLING: SyncStage.INSTALLING,
    EnrollmentStatus.FAILED: SyncStage.FAILED,
}  # every other status with a sync has an active one
BY_METHOD = {
    method: [code for code, system in SYSTEMS.items() if system.install is method]
    for method in InstallMethod
}
METHOD_FOR = {
    EnrollmentStatus.NEEDS_CREDENTIALS: InstallMethod.CLOUD,
    EnrollmentStatus.NEEDS_SCHEDULE: InstallMethod.SCHEDULED,
}


@dataclass
class SyncPlan:
    id: int
    institution: int  # index into the institutions, 0-based
    ehr: str
    status: SyncStage
    last_read_at: datetime | None = None
    last_write_at: datetime | None = None


@dataclass
class Plan:
    scale: Scale
    now: datetime
    owner: list[int] = field(default_factory=list)  # organization id per institution
    status: list[EnrollmentStatus] = field(default_factory=list)
    syncs: list[SyncPlan] = field(default_factory=list)
    first_sync: dict[int, int] = field(default_factory=dict)  # institution -> sync id


def build(scale: Scale, now: datetime, seed: int) -> Plan:
    rng = random.Random(seed)
    plan = Plan(scale, now)
    others = list(range(2, scale.organizations + 1))
    for i in range(scale.institutions):
        plan.owner.append(1 if i < scale.big_enrollments else others[i % len(others)])
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    plan.status = rng.choices(statuses, weights, k=scale.institutions)
    _plan_syncs(plan, rng)
    return plan


def _plan_syncs(plan: Plan, rng: random.Random) -> None:
    # A practice that still needs a sync has none; the rest have one, some a second server.
    with_sync = [i for i, s in enumerate(plan.status) if s is not EnrollmentStatus.NEEDS_SYNC]
    extra = max(0, plan.scale.syncs - len(with_sync))
    seconds = sorted(rng.sample(with_sync, min(extra, len(with_sync))))
    for institution in sorted(with_sync + seconds):
        plan.syncs.append(_sync(plan, rng, len(plan.syncs) + 1, institution))
        plan.first_sync.setdefault(institution, plan.syncs[-1].id)


def _sync(plan: Plan, rng: random.Random, sync_id: int, institution: int) -> SyncPlan:
    status = plan.status[institution]
    method = METHOD_FOR.get(status) or rng.choice(list(InstallMethod))
    sync = SyncPlan(
        id=sync_id,
        institution=institution,
        ehr=rng.choice(BY_METHOD[method]),
        status=SYNC_STATUS.get(status, SyncStage.ACTIVE),
    )
    if sync.status is SyncStage.ACTIVE:
        sync.last_read_at, sync.last_write_at = _health(plan.now, rng)
    return sync


def _health(now: datetime, rng: random.Random) -> tuple[datetime, datetime]:
    """Mostly fresh; a quarter stale on both sides; a few stale on writes only."""
    fresh = now - timedelta(seconds=rng.randrange(0, 20 * 60))
    roll = rng.random()
    if roll < 0.70:
        return fresh, fresh - timedelta(seconds=rng.randrange(0, 300))
    stale = now - timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
    if roll < 0.95:
        return stale, stale - timedelta(minutes=rng.randrange(0, 120))
    return fresh, stale
