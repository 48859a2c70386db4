"""Invitations: how people join an existing organization.

A link is single-use and expires; resending replaces it (the old link dies) and cancelling
kills it. The inviter never learns whether an address belongs to another organization.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal import clock, email
from portal.extensions import db
from portal.models import AuditEvent, Invitation, InvitationStatus, Role, User
from portal.services import (
    Conflict,
    Forbidden,
    PortalError,
    RateLimited,
    audit,
    commit,
    secrets,
    tenancy,
)
from portal.services.accounts import roles
from portal.services.accounts.members import require_admin
from portal.services.accounts.users import (
    check_names,
    find_user_by_email,
    hash_password,
    normalise_email,
)
from portal.services.claims import claim
from portal.services.delivery import outbox

RESENDS_PER_HOUR = 3


class LinkNoLongerValid(PortalError):
    status_code = 404

    def __init__(self):
        super().__init__("This invitation link is no longer valid.")


def pending_for(organization) -> list[Invitation]:
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.organization_id == organization.id)
        .where(Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > clock.now())
        .order_by(Invitation.created_at.desc())
    ).all()


def get_for(organization, invitation_id: int) -> Invitation:
    return tenancy.get_visible(Invitation, organization, invitation_id, "No such invitation.")


def invite(address: str, *, role: Role, actor: User) -> Invitation:
    """Invite `address` to the actor's organization as `role` and email the link.

    Raises Forbidden for those who do not manage users (and for an Owner invited by anyone
    but an Owner), Conflict for a member or an already pending address.
    """
    require_admin(actor)
    if role not in roles.offered_by(actor):
        raise Forbidden(f"Only an Owner can invite an {role.label}.")
    address = normalise_email(address)
    member = find_user_by_email(address)
    if member is not None and member.organization_id == actor.organization_id:
        raise Conflict(f"{address} is already a member of your organization.")
    if any(i.email == address for i in pending_for(actor.organization)):
        raise Conflict(f"{address} already has a pending invitation. Resend it from its menu.")
    raw = secrets.token()
    invitation = Invitation(
        organization_id=actor.organization_id,
        email=address,
        role=role,
        token_digest=secrets.digest(raw),
        invited_by_id=actor.id,
        expires_at=_expiry(),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.sent", actor=actor, target=invitation, email=address, role=role.label)
    email.invitation(invitation, raw, actor)
    commit()
    return invitation


def resend(invitation: Invitation, *, actor: User) -> Invitation:
    """Send a new link (the previous one stops working). At most 3 resends an hour."""
    require_admin(actor)
    _require_pending(invitation)
    hour_ago = clock.now() - timedelta(hours=1)
    recent = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.organization_id == invitation.organization_id,
            AuditEvent.action == "invitation.resent",
            AuditEvent.target_id == str(invitation.id),
            AuditEvent.created_at > hour_ago,
        )
    )
    if recent >= RESENDS_PER_HOUR:
        raise RateLimited("This invitation was resent 3 times in the last hour. Try later.", 3600)
    raw = secrets.token()
    invitation.token_digest = secrets.digest(raw)
    invitation.expires_at, invitation.last_sent_at = _expiry(), clock.now()
    audit.record("invitation.resent", actor=actor, target=invitation, email=invitation.email)
    _withdraw_emails(invitation)  # their link no longer works
    email.invitation(invitation, raw, actor)
    commit()
    return invitation


def cancel(invitation: Invitation, *, actor: User) -> Invitation:
    """Cancel a pending invitation: its link dies and its email, if still queued, is taken
    back. Claimed, so an invitation accepted at the same moment stays accepted and the
    cancel is refused."""
    require_admin(actor)
    _require_pending(invitation)
    pending = Invitation.status == InvitationStatus.PENDING
    if not claim(invitation, pending, status=InvitationStatus.CANCELLED):
        raise Conflict(f"This invitation is already {invitation.status.value}.")
    audit.record("invitation.cancelled", actor=actor, target=invitation, email=invitation.email)
    _withdraw_emails(invitation)
    commit()
    return invitation


def find_by_link(raw: str) -> Invitation:
    """The pending, unexpired invitation for a link. Raises LinkNoLongerValid otherwise."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_digest == secrets.digest(raw))
    )
    pending = invitation is not None and invitation.status == InvitationStatus.PENDING
    if pending and invitation.expires_at <= clock.now():
        invitation.status = InvitationStatus.EXPIRED
        commit()
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        audit.denial("link", link="invitation")
        raise LinkNoLongerValid()
    return invitation


def accept(raw: str, *, name: str, password: str) -> User:
    """Create the invitee's account from a link, once.

    The pending -> accepted change is one conditional UPDATE, so two concurrent accepts
    create exactly one user. The name is stored stripped. Raises LinkNoLongerValid,
    users.InvalidName for a blank or multi-line name (the link stays valid), or Conflict
    when the address already has an account.
    """
    invitation = find_by_link(raw)
    check_names(name=name)
    if find_user_by_email(invitation.email):
        raise Conflict(
            f"{invitation.email} already has a SyncPortal account. Sign in with it, or ask "
            "for an invitation to another address."
        )
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING)
        .where(Invitation.token_digest == secrets.digest(raw))
        .values(status=InvitationStatus.ACCEPTED, accepted_at=clock.now())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise LinkNoLongerValid()
    user = User(
        organization_id=invitation.organization_id,
        email=invitation.email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=invitation.role,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("invitation.accepted", actor=user, target=invitation, email=user.email)
    commit()
    return user


def _withdraw_emails(invitation: Invitation) -> None:
    outbox.withdraw("invitation", to=invitation.email, organization_id=invitation.organization_id)


def _require_pending(invitation: Invitation) -> None:
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(f"This invitation is {invitation.status.value}, not pending.")


def _expiry():
    return clock.now() + timedelta(days=current_app.config["INVITATION_TTL_DAYS"])
