"""What each role may do. Every page and every service that changes something asks `can`
or `require` with one of these permissions; nothing else decides by role."""

import enum

from portal.models import Role, User
from portal.services import Forbidden, audit, commit


class Permission(enum.StrEnum):
    READ = "read"  # the organization's institutions, syncs, usage and members
    MANAGE_ONBOARDING = "manage institutions, syncs and imports"
    MANAGE_WEBHOOKS = "manage webhooks"
    SEE_REQUESTS = "see API request details"
    MANAGE_USERS = "manage users and read the audit log"
    MANAGE_KEYS = "see and manage API keys"
    MANAGE_BILLING = "manage billing and the upgrade"


_DEVELOPER = {
    Permission.READ,
    Permission.MANAGE_ONBOARDING,
    Permission.MANAGE_WEBHOOKS,
    Permission.SEE_REQUESTS,
}

# Who may do what. Viewers read and never see a key or a request's details; Developers run
# onboarding and webhooks; Admins and Owners also run users, keys and billing. Only an Owner
# makes or unmakes an Owner (see `members`).
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.DEVELOPER: frozenset(_DEVELOPER),
    Role.VIEWER: frozenset({Permission.READ}),
}

# What the Users page says each role does, in the order it offers them.
DESCRIPTIONS = {
    Role.OWNER: "everything, including making and removing Owners",
    Role.ADMIN: "everything but Owners: users, API keys, billing, institutions, webhooks",
    Role.DEVELOPER: "institutions, syncs, imports, webhooks and request logs; no users, keys "
    "or billing",
    Role.VIEWER: "reads institutions, syncs and usage; never sees keys or request details",
}


def can(user: User | None, permission: Permission) -> bool:
    """Whether a member of an organization holds `permission` (staff and strangers do not)."""
    if user is None or not getattr(user, "organization_id", None):
        return False
    return permission in GRANTS.get(user.role, frozenset())


def require(user: User | None, permission: Permission) -> None:
    """Raises Forbidden unless `user` holds `permission`."""
    if not can(user, permission):
        raise Forbidden(f"Your role does not allow you to {permission.value}.")


def offered_by(actor: User) -> list[Role]:
    """The roles `actor` may give: everything for an Owner, everything but Owner for an Admin."""
    if actor.role is Role.OWNER:
        return list(Role)
    return [role for role in Role if role is not Role.OWNER] if actor.is_admin else []


def refuse(user: User, permission: Permission, where: str) -> None:
    """Record that `user`'s role kept them from `where` (a security-relevant denial)."""
    audit.record(
        "permission.denied",
        actor=user,
        permission=permission.value,
        role=user.role.label,
        page=where[:200],
    )
    commit()
