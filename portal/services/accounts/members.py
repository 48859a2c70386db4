"""An organization's members: their roles and removal. An organization always keeps an Owner,
and only an Owner makes, unmakes or removes an Owner."""

from contextlib import contextmanager

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Organization, Role, User
from portal.services import Conflict, Forbidden, NotFound, PortalError, audit, commit, tenancy
from portal.services.accounts.roles import Permission, require


def require_admin(actor: User) -> None:
    """Raises Forbidden unless `actor` runs the organization's users (an Owner or Admin)."""
    require(actor, Permission.MANAGE_USERS)


def get_for(organization: Organization, user_id: int) -> User:
    return tenancy.get_visible(User, organization, user_id, "No such user.")


def set_role(member: User, role: Role, *, actor: User) -> User:
    """Give `member` the role `role`. Audited. Raises Forbidden unless the actor manages users
    (and is an Owner when an Owner is made or unmade), Conflict for the last Owner."""
    _same_org(actor, member)
    with _members_locked(member, actor):
        require_admin(actor)
        if Role.OWNER in (role, member.role) and member.role != role:
            _require_owner(actor)
        if member.role is Role.OWNER and role is not Role.OWNER:
            _keep_an_owner(member, "take the Owner role from")
    if member.role != role:
        audit.record(
            "user.role_changed",
            actor=actor,
            target=member,
            email=member.email,
            role=role.label,
            previous_role=member.role.label,
        )
        member.role = role
    commit()
    return member


def delete(member: User, *, actor: User) -> User:
    """Delete `member`: their sessions end at once. Nobody deletes themselves; only an Owner
    deletes an Owner, and never the last one."""
    _same_org(actor, member)
    if member.id == actor.id:
        raise Conflict("You cannot delete yourself. Ask another admin.")
    with _members_locked(member, actor):
        require_admin(actor)
        if member.role is Role.OWNER:
            _require_owner(actor)
            _keep_an_owner(member, "delete")
    audit.record("user.deleted", actor=actor, target=member, email=member.email)
    audit.forget_actor(member)
    db.session.delete(member)
    commit()
    return member


def _same_org(actor: User, member: User) -> None:
    if member.organization_id != actor.organization_id:
        raise NotFound("No such user.")


def _require_owner(actor: User) -> None:
    if actor.role is not Role.OWNER:
        raise Forbidden("Only an Owner can make, change or remove an Owner.")


@contextmanager
def _members_locked(member: User, actor: User):
    """Take the organization's row for writing (a no-op UPDATE: a row lock on PostgreSQL,
    the write lock on SQLite) so role changes in one organization run one at a time, and
    re-read both people as the last change left them. A refusal inside lets the lock go."""
    db.session.execute(
        update(Organization)
        .where(Organization.id == member.organization_id)
        .values(slug=Organization.slug)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(member)
    db.session.refresh(actor)
    try:
        yield
    except PortalError:
        db.session.rollback()
        raise


def _keep_an_owner(member: User, verb: str) -> None:
    owners = db.session.scalar(
        select(func.count(User.id)).where(
            User.organization_id == member.organization_id, User.role == Role.OWNER
        )
    )
    if owners <= 1:
        raise Conflict(f"You cannot {verb} the last Owner. Make someone else an Owner first.")


def admins(organization: Organization) -> list[User]:
    """Who hears about the organization's syncs and upgrade: its Owners and Admins."""
    return db.session.scalars(
        select(User)
        .where(User.organization_id == organization.id, User.role.in_([Role.OWNER, Role.ADMIN]))
        .order_by(User.id)
    ).all()
