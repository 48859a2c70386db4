"""The lifecycle of a sync (one Synchronizer installation) and the secrets it carries.

Each operation below may only start from the listed statuses and install methods; anything
else is refused with InvalidTransition. Every sync operation carries the enrollment of the
organization that created the sync along, when that enrollment is at the matching step.
"""

from secrets import choice

from sqlalchemy import and_, exists, or_, select

from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    InstallMethod,
    LocationGrant,
    Organization,
    Sync,
    SyncStage,
    User,
)
from portal.services import InvalidTransition, audit, secrets
from portal.services.onboarding import enrollments

S, M = SyncStage, InstallMethod
ALL_METHODS = frozenset(InstallMethod)

# operation: (statuses it may start from, status it leads to, install methods it applies to)
TRANSITIONS: dict[str, tuple[frozenset[SyncStage], SyncStage, frozenset[InstallMethod]]] = {
    "submit_credentials": (frozenset({S.NEEDS_CREDENTIALS}), S.INSTALLING, frozenset({M.CLOUD})),
    "propose_windows": (frozenset({S.NEEDS_SCHEDULE}), S.INSTALLING, frozenset({M.SCHEDULED})),
    "reject_credentials": (frozenset({S.INSTALLING}), S.NEEDS_CREDENTIALS, frozenset({M.CLOUD})),
    "mark_installed": (frozenset({S.INSTALLING}), S.ACTIVE, frozenset({M.CLOUD, M.SCHEDULED})),
    "report": (frozenset({S.INSTALLING}), S.ACTIVE, ALL_METHODS),
    "fail": (frozenset({S.INSTALLING, S.ACTIVE}), S.FAILED, ALL_METHODS),
    "retry": (frozenset({S.FAILED}), S.INSTALLING, ALL_METHODS),
}

INITIAL_STATUS = {
    M.SELF_INSTALLER: S.INSTALLING,
    M.CLOUD: S.NEEDS_CREDENTIALS,
    M.SCHEDULED: S.NEEDS_SCHEDULE,
}
LABELS = {
    S.NEEDS_CREDENTIALS: "needs credentials",
    S.NEEDS_SCHEDULE: "needs install windows",
    S.INSTALLING: "installing",
    S.ACTIVE: "active",
    S.FAILED: "failed",
}
VERBS = {
    "submit_credentials": "submit credentials",
    "propose_windows": "propose install windows",
    "reject_credentials": "reject its credentials",
    "mark_installed": "mark it installed",
    "report": "accept a first report",
    "fail": "mark it failed",
    "retry": "retry it",
}
PRODUCT_KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: read aloud safely
PRODUCT_KEY_GROUPS, PRODUCT_KEY_GROUP_LENGTH = 5, 5  # 25 symbols of 5 bits: 125 bits


def can(sync: Sync, operation: str) -> bool:
    statuses, _, methods = TRANSITIONS[operation]
    return sync.status in statuses and sync.install_method in methods


def _move(sync: Sync, operation: str, *, actor: User | None, reason: str = "") -> None:
    statuses, target, methods = TRANSITIONS[operation]
    if sync.install_method not in methods:
        raise InvalidTransition(
            f"Cannot {VERBS[operation]}: this {sync.install_method.value.replace('_', '-')} "
            "sync does not take that step."
        )
    if sync.status not in statuses:
        wanted = ", ".join(sorted(LABELS[s] for s in statuses))
        raise InvalidTransition(
            f"This sync is {LABELS[sync.status]}: cannot {VERBS[operation]} (only when {wanted})."
        )
    previous = sync.status
    sync.status, sync.failure_reason = target, reason
    audit.record(
        f"sync.{operation}",
        actor=actor,
        organization=owner(sync),
        target=sync,
        before=previous.value,
        after=target.value,
        reason=reason,
    )


def enrollment_of(sync: Sync) -> Enrollment | None:
    """The enrollment of the organization that created the sync."""
    return db.session.scalar(_enrollment_query(sync))


def _enrollment_query(sync: Sync):
    return select(Enrollment).where(
        Enrollment.organization_id == sync.created_by_org_id,
        Enrollment.institution_id == sync.institution_id,
    )


def owner(sync: Sync) -> Organization | None:
    return db.session.get(Organization, sync.created_by_org_id) if sync.created_by_org_id else None


def _follow(sync: Sync, operation: str, **kwargs) -> None:
    # The enrollment moves only when it is at the step this sync event completes; when it is
    # elsewhere (live through another sync, say) the sync's own status tells the story.
    enrollment = enrollment_of(sync)
    if enrollment is not None and enrollments.can(enrollment, operation):
        getattr(enrollments, operation)(enrollment, **kwargs)


def submit_credentials(sync: Sync, *, actor: User | None) -> None:
    _move(sync, "submit_credentials", actor=actor)
    _follow(sync, "start_install", actor=actor)


def propose_windows(sync: Sync, *, actor: User | None) -> None:
    _move(sync, "propose_windows", actor=actor)
    _follow(sync, "start_install", actor=actor)


def reject_credentials(sync: Sync, *, reason: str, actor: User | None) -> None:
    _move(sync, "reject_credentials", actor=actor, reason=reason)
    _follow(sync, "request_credentials", actor=actor, reason=reason)


def mark_installed(sync: Sync, *, actor: User | None) -> None:
    _move(sync, "mark_installed", actor=actor)
    settle(sync, actor=actor)


def report(sync: Sync) -> None:
    """The first heartbeat of an installed Synchronizer."""
    _move(sync, "report", actor=None)
    settle(sync)


def fail(sync: Sync, *, reason: str, actor: User | None) -> None:
    _move(sync, "fail", actor=actor, reason=reason)
    _follow(sync, "fail", actor=actor, reason=reason)


def retry(sync: Sync, *, actor: User | None) -> None:
    _move(sync, "retry", actor=actor)
    _follow(sync, "retry", actor=actor)


def settle(sync: Sync, *, actor: User | None = None) -> None:
    """Let the creating organization's enrollment take the locations an installed sync
    reported (see `enrollments.settle_locations`)."""
    # One query finds the enrollment only when settling can change it (installing, or live
    # without an active grant), so a steady heartbeat reads nothing more.
    unsettled = or_(
        Enrollment.status == EnrollmentStatus.INSTALLING,
        and_(
            Enrollment.status == EnrollmentStatus.LIVE,
            ~exists().where(
                LocationGrant.enrollment_id == Enrollment.id,
                LocationGrant.status == GrantStatus.ACTIVE,
            ),
        ),
    )
    enrollment = db.session.scalar(_enrollment_query(sync).where(unsettled))
    if enrollment is not None:
        enrollments.settle_locations(enrollment, actor=actor)


def new_product_key() -> str:
    symbols = "".join(
        choice(PRODUCT_KEY_ALPHABET) for _ in range(PRODUCT_KEY_GROUPS * PRODUCT_KEY_GROUP_LENGTH)
    )
    n = PRODUCT_KEY_GROUP_LENGTH
    return "-".join(symbols[i : i + n] for i in range(0, len(symbols), n))


def canonical_product_key(raw: str) -> str:
    """What a typed key means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def issue_product_key(sync: Sync) -> str:
    """Give the sync a fresh product key; the old key and any agent token stop working."""
    raw = new_product_key()
    sync.product_key_digest = secrets.digest(canonical_product_key(raw))
    sync.product_key_encrypted = secrets.encrypt(raw)
    sync.agent_token_digest = None
    sync.activated_at = None
    return raw


def product_key(sync: Sync) -> str | None:
    return secrets.decrypt(sync.product_key_encrypted) if sync.product_key_encrypted else None


def extension_token(sync: Sync) -> str | None:
    encrypted = sync.extension_token_encrypted
    return secrets.decrypt(encrypted) if encrypted else None


def find_by_product_key(raw: str) -> Sync | None:
    digest = secrets.digest(canonical_product_key(raw))
    return db.session.scalar(select(Sync).where(Sync.product_key_digest == digest))


def find_by_agent_token(raw: str) -> Sync | None:
    return db.session.scalar(select(Sync).where(Sync.agent_token_digest == secrets.digest(raw)))


def admins_of(sync: Sync) -> list[User]:
    """Who hears about this sync: the admins of the organization that created it."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.organization_id == sync.created_by_org_id, User.is_admin.is_(True))
            .order_by(User.id)
        )
    )
