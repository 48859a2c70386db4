"""An organization's members: roles and removal. An organization always keeps an admin."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Organization, User
from portal.services import Conflict, Forbidden, NotFound, audit, commit, tenancy


def require_admin(actor: User) -> None:
    if not (actor.organization_id and actor.is_admin):
        raise Forbidden("Only organization admins can do this.")


def get_for(organization: Organization, user_id: int) -> User:
    return tenancy.get_visible(User, organization, user_id, "No such user.")


def set_admin(member: User, *, admin: bool, actor: User) -> User:
    """Make `member` an admin or remove the role. Raises Conflict for the last admin."""
    require_admin(actor)
    _same_org(actor, member)
    if member.is_admin == admin:
        return member
    if not admin:
        _keep_an_admin(member, "remove the admin role from")
    member.is_admin = admin
    audit.record("user.role_changed", actor=actor, target=member, email=member.email, admin=admin)
    commit()
    return member


def delete(member: User, *, actor: User) -> User:
    """Delete `member`: their sessions end at once. Nobody deletes themselves or the last admin."""
    require_admin(actor)
    _same_org(actor, member)
    if member.id == actor.id:
        raise Conflict("You cannot delete yourself. Ask another admin.")
    if member.is_admin:
        _keep_an_admin(member, "delete")
    audit.record("user.deleted", actor=actor, target=member, email=member.email)
    db.session.delete(member)
    commit()
    return member


def _same_org(actor: User, member: User) -> None:
    if member.organization_id != actor.organization_id:
        raise NotFound("No such user.")


def _keep_an_admin(member: User, verb: str) -> None:
    # Lock the organization row so two admins demoting each other cannot both succeed.
    db.session.execute(
        select(Organization.id).where(Organization.id == member.organization_id).with_for_update()
    )
    admins = db.session.scalar(
        select(func.count(User.id)).where(
            User.organization_id == member.organization_id, User.is_admin.is_(True)
        )
    )
    if admins <= 1:
        raise Conflict(f"You cannot {verb} the last admin. Make someone else an admin first.")


def admins(organization: Organization) -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.organization_id == organization.id, User.is_admin.is_(True))
        .order_by(User.id)
    ).all()
