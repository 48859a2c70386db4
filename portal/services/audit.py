"""The audit trail: every state change writes one row in the same transaction."""

from flask import has_request_context, request

from portal.extensions import db
from portal.models import AuditEvent, Organization, User


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
        "ip_address": request.remote_addr or "" if has_request_context() else "",
    }


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
