"""The lifecycle of a sync: every step it can take, from which stages and install methods,
behind which guards, and whom it emails. The table is the whole rule.

`transition` is the only code that changes a sync's stage or the facts a step records. It
refuses what the table does not allow (InvalidTransition, worded from the table), claims
the change with one conditional UPDATE (a racer that lost is told what the winner did),
writes the audit row, lets the creating organization's enrollment follow, and emails that
organization's admins where the table says so, all in the caller's transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from portal import clock, email
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    InstallMethod,
    Organization,
    Role,
    Sync,
    SyncStage,
    User,
)
from portal.services import InvalidTransition, audit
from portal.services.claims import claim
from portal.services.onboarding import access, enrollments


@dataclass(frozen=True)
class Step:
    verb: str  # completes "cannot ..." in a refusal
    start: frozenset[SyncStage]
    to: SyncStage | None  # None: the stage stays; the step records something on the sync
    methods: frozenset[InstallMethod]
    guards: tuple[str, ...] = ()
    email: Callable | None = None  # sent to each admin of the creating organization


def _step(verb, start, to, methods, guards=(), mail=None) -> Step:
    return Step(verb, frozenset(start), to, frozenset(methods), tuple(guards), mail)


# action: _step(verb of a refusal, stages it starts from, stage it leads to (None: the stage
#               stays), install methods, guards, email to the creating organization's admins)
TRANSITIONS: dict[str, Step] = {
    # The developer (setup.py)
    "regenerate_key": _step("regenerate its product key", {SyncStage.INSTALLING}, None,
                            {InstallMethod.SELF_INSTALLER}, ["access"]),
    "retry": _step("retry it with a new product key", {SyncStage.FAILED}, SyncStage.INSTALLING,
                   {InstallMethod.SELF_INSTALLER}, ["access"]),
    "submit_credentials": _step("submit credentials",
                                {SyncStage.NEEDS_CREDENTIALS, SyncStage.FAILED},
                                SyncStage.INSTALLING, {InstallMethod.CLOUD},
                                ["access", "credentials"]),
    "propose_windows": _step("propose install windows",
                             {SyncStage.NEEDS_SCHEDULE, SyncStage.FAILED}, SyncStage.INSTALLING,
                             {InstallMethod.SCHEDULED}, ["access", "windows"]),
    # Staff (installs.py)
    "confirm_window": _step("confirm an install window", {SyncStage.INSTALLING}, None,
                            {InstallMethod.SCHEDULED},
                            ["enrolled", "window_open", "window_proposed"],
                            email.install_window_confirmed),
    "mark_installed": _step("mark it installed", {SyncStage.INSTALLING}, SyncStage.ACTIVE,
                            {InstallMethod.CLOUD, InstallMethod.SCHEDULED},
                            ["window_confirmed"], email.sync_installed),
    "reject_credentials": _step("reject its credentials", {SyncStage.INSTALLING},
                                SyncStage.NEEDS_CREDENTIALS, {InstallMethod.CLOUD},
                                ["reason"], email.credentials_rejected),
    # Staff, or the Synchronizer reporting a failure (agents.py)
    "fail": _step("mark it failed", {SyncStage.INSTALLING, SyncStage.ACTIVE}, SyncStage.FAILED,
                  set(InstallMethod), ["reason"], email.sync_failed),
    # The Synchronizer (agents.py)
    "activate": _step("activate a Synchronizer with its product key", {SyncStage.INSTALLING},
                      None, {InstallMethod.SELF_INSTALLER}, ["key_unused"]),
    "report": _step("accept a first report", {SyncStage.INSTALLING}, SyncStage.ACTIVE,
                    set(InstallMethod)),
    "heartbeat": _step("accept a report", {SyncStage.INSTALLING, SyncStage.ACTIVE}, None,
                       set(InstallMethod)),
}  # fmt: skip

INITIAL_STAGE = {
    InstallMethod.SELF_INSTALLER: SyncStage.INSTALLING,
    InstallMethod.CLOUD: SyncStage.NEEDS_CREDENTIALS,
    InstallMethod.SCHEDULED: SyncStage.NEEDS_SCHEDULE,
}
# How refusals name stages and methods ("This sync is waiting for credentials: ...").
LABELS = {stage: stage.label.lower() for stage in SyncStage}
METHOD_LABELS = {method: method.label.lower() for method in InstallMethod}
MAX_WINDOWS = 3
WINDOW_LEAD = timedelta(hours=24)  # our engineers need a day's notice
WINDOW_HORIZON = timedelta(days=90)


@dataclass
class Change:
    """What a step records besides the stage: column values, the reason, audit details."""

    values: dict = field(default_factory=dict)
    reason: str = ""
    details: dict = field(default_factory=dict)


def refusal(sync: Sync, action: str, change: Change | None = None) -> str | None:
    """Why `action` cannot happen to `sync` now (the table's words), or None if it can.
    Without a `change` (a review before the inputs are given) the guards on inputs wait."""
    step = TRANSITIONS[action]
    if sync.install_method not in step.methods:
        kind = METHOD_LABELS[sync.install_method]
        return f"Cannot {step.verb}: a {kind} sync does not take that step."
    if sync.status not in step.start:
        if sync.status is step.to:
            return f"This sync is already {LABELS[sync.status]}: cannot {step.verb} again."
        wanted = " or ".join(sorted(LABELS[stage] for stage in step.start))
        return f"This sync is {LABELS[sync.status]}: cannot {step.verb} (only when {wanted})."
    for guard in step.guards:
        refused = None if change is None and guard in INPUTS else GUARDS[guard](sync, change)
        if refused:
            return refused
    return None


def transition(sync: Sync, action: str, *, actor: User | None, change: Change | None = None):
    """Take `action` as the table says, or raise InvalidTransition with the reason."""
    step, change = TRANSITIONS[action], change or Change()
    refused = refusal(sync, action, change)
    if refused:
        raise InvalidTransition(refused)
    before, values = sync.status, dict(change.values)
    if step.to is not None:
        values.update(status=step.to, failure_reason=change.reason)
    if not claim(sync, *_conditions(step), **values):
        raise InvalidTransition(refusal(sync, action, change) or "This sync changed meanwhile.")
    enrollment = enrollment_of(sync)
    # A step that keeps the status (a new product key, a window confirmed) says no "before
    # Installing, after Installing".
    moved = (
        {"before": before.value, "after": sync.status.value} if sync.status is not before else {}
    )
    audit.record(
        f"sync.{action}",
        actor=actor,
        organization=owner(sync),
        target=sync,
        **moved,
        reason=change.reason,
        **change.details,
    )
    if step.to is not None and enrollment is not None:
        enrollments.follow(enrollment, sync, actor=actor, reason=change.reason)
    if step.email is not None:
        for admin in admins_of(sync):
            step.email(admin, sync, enrollment, change.reason)


def _conditions(step: Step) -> list:
    # What a racer could have changed since the checks: the claim re-checks it in the UPDATE.
    racy = [CLAIM_CONDITIONS[guard] for guard in step.guards if guard in CLAIM_CONDITIONS]
    return [Sync.status.in_(step.start), Sync.install_method.in_(step.methods), *racy]


def enrollment_of(sync: Sync) -> Enrollment | None:
    """The enrollment of the organization that created the sync."""
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == sync.created_by_org_id,
            Enrollment.institution_id == sync.institution_id,
        )
    )


def owner(sync: Sync) -> Organization | None:
    return db.session.get(Organization, sync.created_by_org_id) if sync.created_by_org_id else None


def admins_of(sync: Sync) -> list[User]:
    """Who hears about this sync: the admins of the organization that created it."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id == sync.created_by_org_id,
                User.role.in_([Role.OWNER, Role.ADMIN]),
            )
            .order_by(User.id)
        )
    )


# The guards the table names. Each returns the refusal, or None when the step may go on.


def _access(sync: Sync, change: Change) -> str | None:
    enrollment = enrollment_of(sync)
    if enrollment is None or not access.has_access(enrollment):
        return (
            "Your organization has no access to this practice's Synchronizer: "
            "the practice has to grant it first."
        )
    return None


def _enrolled(sync: Sync, change: Change) -> str | None:
    enrollment = enrollment_of(sync)
    if enrollment is None or enrollment.status is EnrollmentStatus.DEACTIVATED:
        return "Its institution was deactivated: nobody expects this install any more."
    return None


def _credentials(sync: Sync, change: Change) -> str | None:
    needed = ("credentials_url", "credentials_username", "credentials_password_encrypted")
    if not all(change.values.get(name) for name in needed):
        return "Enter the system's web address, admin username and password."
    return None


def _windows(sync: Sync, change: Change) -> str | None:
    starts = [datetime.fromisoformat(w) for w in change.values.get("proposed_windows") or []]
    if not 1 <= len(starts) <= MAX_WINDOWS:
        return f"Propose one to {MAX_WINDOWS} install windows."
    now = clock.now()
    if any(not now + WINDOW_LEAD <= start <= now + WINDOW_HORIZON for start in starts):
        return "Install windows must start between tomorrow and 90 days from now."
    return None


def _window_open(sync: Sync, change: Change) -> str | None:
    if sync.confirmed_window_start is not None:
        when = sync.confirmed_window_start.strftime("%d %b %Y, %H:%M UTC")
        return f"An install window is already confirmed ({when})."
    return None


def _window_proposed(sync: Sync, change: Change) -> str | None:
    chosen = change.values.get("confirmed_window_start")
    proposed = [datetime.fromisoformat(w) for w in sync.proposed_windows or []]
    if chosen is None or chosen not in proposed:
        return "Pick one of the windows the developer proposed."
    return None


def _window_confirmed(sync: Sync, change: Change) -> str | None:
    if sync.install_method is InstallMethod.SCHEDULED and sync.confirmed_window_start is None:
        return "Confirm an install window first."
    return None


def _reason(sync: Sync, change: Change) -> str | None:
    return None if change.reason.strip() else "Give the reason: the developer sees it."


def _key_unused(sync: Sync, change: Change) -> str | None:
    if sync.agent_token_digest is not None:
        return (
            "This product key has already activated a Synchronizer. "
            "Regenerate the key in the portal to install again."
        )
    return None


GUARDS: dict[str, Callable[[Sync, Change], str | None]] = {
    "access": _access,
    "enrolled": _enrolled,
    "credentials": _credentials,
    "windows": _windows,
    "window_open": _window_open,
    "window_proposed": _window_proposed,
    "window_confirmed": _window_confirmed,
    "reason": _reason,
    "key_unused": _key_unused,
}
INPUTS = {"credentials", "windows", "window_proposed", "reason"}  # guards on what the actor gives
CLAIM_CONDITIONS = {
    "window_open": Sync.confirmed_window_start.is_(None),
    "key_unused": Sync.agent_token_digest.is_(None),
}
