"""The audit trail: every state change writes one row in the same transaction, and every
security-relevant refusal (a failed sign-in, another organization's row, a refused key,
token or emailed link, a forged form) writes one row of its own through `denial`, within
a budget."""

import re
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session

from portal import clock, readable
from portal.extensions import db, limiter
from portal.models import AuditEvent, Organization, User

# What each refusal is called, as its row reads on the audit pages.
DENIALS = {
    "sign_in": "Sign-in refused: wrong email or password",
    "throttled": "Sign-in refused: too many failed attempts",
    "link": "Refused a link that is not valid or has expired",
    "other_tenant": "Refused another organization's record",
    "forbidden": "Refused: not allowed for this account",
    "api_credentials": "API key or bearer token refused",
    "agent_credentials": "Agent token or product key refused",
    "csrf": "Form refused: its security token was missing or expired",
}
DENIAL_PREFIX = "denied."

# Used only while the shared limiter storage (Redis) cannot be reached.
_LOCAL_BUDGET = MovingWindowRateLimiter(MemoryStorage())


def record(
    action: str,
    *,
    actor: User | None,
    organization: Organization | None = None,
    target=None,
    **details,
) -> AuditEvent:
    """Add an audit row for `action` (e.g. "user.signup") to the current transaction."""
    named = ("", "")
    if target is not None:
        named = (type(target).__name__, str(target.id) if target.id is not None else "")
    event = AuditEvent(**values(action, actor=actor, organization=organization, target=named,
                                **details))  # fmt: skip
    db.session.add(event)
    return event


def values(action: str, *, actor: User | None, organization=None, target=("", ""), **details):
    """The column values of `record`'s row, for callers that insert many rows at once (the
    CSV import); `target` is (type name, id) here, such as ("Sync", "12")."""
    return {
        "action": action,
        "actor_id": actor.id if actor else None,
        "actor_email": actor.email if actor else "",
        "organization_id": _org_id(organization, actor),
        "target_type": target[0],
        "target_id": target[1],
        "details": {k: _plain(v) for k, v in details.items()},
        "ip_address": _address(),
    }


def denial(
    kind: str,
    *,
    organization: Organization | None = None,
    target_type: str = "",
    target_id: object = "",
    **details,
) -> bool:
    """Record a refused request of `kind` (a key of DENIALS); returns whether a row was
    written. The signed-in user, the page and the client address are added.

    A flood cannot fill the table: at most AUDIT_DENIALS_PER_MINUTE rows per kind and
    address, counted in the rate limiter's storage (shared by every process, atomic). The
    row is written on a connection of its own, so the refusal's rollback keeps it (unless
    the transaction already wrote: then the row is part of it)."""
    if kind not in DENIALS:
        raise ValueError(f"Unknown denial {kind!r}")
    address = _address()
    if (kind, address) in g.setdefault("audited_denials", set()) or not _within_budget(
        kind, address
    ):
        return False
    g.audited_denials.add((kind, address))
    row = _denial_row(kind, address, organization, target_type, str(target_id), details)
    if db.session.info.get(WROTE):
        # Another connection would wait on this transaction's locks: the row joins it, and
        # is written on its own should the transaction roll back.
        db.session.add(AuditEvent(**row))
        db.session.info.setdefault(JOINED, []).append(row)
    else:
        _write([row], db.engine)
    return True


def _denial_row(kind, address, organization, target_type, target_id, details) -> dict:
    actor = _signed_in_user()
    if has_request_context():
        details = {"page": f"{request.method} {request.path}", **details}
    return {
        "created_at": clock.now(),
        "action": DENIAL_PREFIX + kind,
        "actor_id": actor.id if actor else None,
        "actor_email": actor.email if actor else "",
        "organization_id": _org_id(organization, actor),
        "target_type": target_type[:40],
        "target_id": target_id[:40],
        "details": {k: _short(_plain(v)) for k, v in details.items()},
        "ip_address": address,
    }


def _write(rows: list[dict], engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(AuditEvent), rows)


def _short(value):
    return value[:200] if isinstance(value, str) else value


# Set while a session's transaction holds written rows (and so their locks); the denial
# rows that joined such a transaction.
WROTE, JOINED = "audit_wrote", "audit_joined_denials"


@event.listens_for(Session, "after_flush")
def _wrote(session, flush_context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
def _kept(session) -> None:
    session.info.pop(JOINED, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
        # Joined denial rows still here were not committed: the transaction rolled back or
        # was closed. Its connection is released by now, so they are written on their own.
        rows = session.info.pop(JOINED, None)
        if rows:
            _write(rows, session.get_bind())


def refusal_answered(status: int) -> None:
    """Every 401 and 403 the app answers is a denial: the error handlers of the pages and
    of the machine edge call this once per answer."""
    if status == 401:
        agent = request.path.startswith("/synchronizer/")
        denial("agent_credentials" if agent else "api_credentials")
    elif status == 403:
        denial("forbidden")


@lru_cache(maxsize=1024)  # the actions are the app's own few; an export asks per row
def describe(action: str) -> str:
    """An audit row's action in words: "Refused another organization's record",
    "User: password reset requested"."""
    if action.startswith(DENIAL_PREFIX) and action[len(DENIAL_PREFIX) :] in DENIALS:
        return DENIALS[action[len(DENIAL_PREFIX) :]]
    subject, _, verb = action.partition(".")
    named = readable.sentence(subject.split("_"))
    return f"{named}: {verb.replace('_', ' ')}" if verb else named


@lru_cache(maxsize=256)
def record_name(type_name: str) -> str:
    """An audit row's record type in words: "ApiKey" is "API key", "WebhookSubscription"
    "Webhook subscription"."""
    words = [word.lower() for word in re.findall(r"[A-Z][a-z0-9]*", type_name)] or [type_name]
    return readable.sentence(words)


def actions_recorded(organization: Organization | None = None) -> list[str]:
    """Every action the trail holds (of `organization`, if given), once each, read by
    skipping along the action index: one probe per distinct action of the whole trail, and
    one more each to ask whether `organization` holds it, whatever the trail's size."""
    known = select(func.min(AuditEvent.action).label("action")).cte("known", recursive=True)
    after = select(func.min(AuditEvent.action)).where(AuditEvent.action > known.c.action)
    known = known.union_all(select(after.scalar_subquery()).where(known.c.action.is_not(None)))
    actions = select(known.c.action).where(known.c.action.is_not(None))
    if organization is not None:
        held = select(AuditEvent.id).where(
            AuditEvent.action == known.c.action, AuditEvent.organization_id == organization.id
        )
        actions = actions.where(held.exists())
    return db.session.scalars(actions).all()


def forget_actor(user: User) -> None:
    """`user` is being removed: the trail keeps their email on each row, not their id (which
    SQLite may give the next member). The trail has no foreign key to do it (migration 0015)."""
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_id=None),
        execution_options={"synchronize_session": False},
    )


def _within_budget(kind: str, address: str) -> bool:
    budget = parse(f"{current_app.config['AUDIT_DENIALS_PER_MINUTE']}/minute")
    try:
        # A moving window: at most the budget in any minute, not twice it across a boundary.
        shared = MovingWindowRateLimiter(limiter.storage)
        return shared.hit(budget, "audit-denial", kind, address)
    except Exception:  # the shared storage is down: count in this process meanwhile
        current_app.logger.warning("Limiter storage unreachable; denials counted locally")
        return _LOCAL_BUDGET.hit(budget, "audit-denial", kind, address)


def _signed_in_user() -> User | None:
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()


def _address() -> str:
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def _org_id(organization: Organization | None, actor: User | None) -> int | None:
    if organization is not None:
        return organization.id
    return actor.organization_id if actor else None


def _plain(value):
    return (
        value
        if isinstance(value, str | int | float | bool | type(None) | list | dict)
        else str(value)
    )
