"""Upgrade to production: an org admin asks, staff approve or reject, the admin is emailed."""

from sqlalchemy import select

from portal import email
from portal.extensions import db
from portal.models import Organization, RequestStatus, UpgradeRequest, User
from portal.services import Conflict, Forbidden, audit, commit, decisions
from portal.services.accounts.roles import Permission, require
from portal.services.outcomes import Outcome


def pending_for(organization: Organization) -> UpgradeRequest | None:
    return db.session.scalar(
        select(UpgradeRequest).where(
            UpgradeRequest.organization_id == organization.id,
            UpgradeRequest.status == RequestStatus.PENDING,
        )
    )


def request_upgrade(
    organization: Organization,
    *,
    legal_name: str,
    billing_email: str,
    expected_practices: int,
    actor: User,
) -> UpgradeRequest:
    """File the organization's upgrade request. Raises Forbidden unless the actor manages its
    billing (an Owner or Admin), Conflict if it is upgraded or a request is already pending."""
    require(actor, Permission.MANAGE_BILLING)
    if actor.organization_id != organization.id:
        raise Forbidden("Only the organization's admins ask for its upgrade.")
    if organization.production_enabled:
        raise Conflict("Your organization is already upgraded to production.")
    if pending_for(organization):
        raise Conflict("Your upgrade request is already waiting for review.")
    upgrade = UpgradeRequest(
        organization_id=organization.id,
        requested_by_id=actor.id,
        legal_name=legal_name.strip(),
        billing_email=billing_email.strip().lower(),
        expected_practices=expected_practices,
    )
    db.session.add(upgrade)
    db.session.flush()
    audit.record("upgrade.requested", actor=actor, target=upgrade, legal_name=upgrade.legal_name)
    commit()
    return upgrade


def approve(requests: list[UpgradeRequest], *, actor: User) -> Outcome:
    """Approve pending requests: production mode opens for their organizations."""
    return decisions.approve(
        requests, actor=actor, kind="upgrade", apply=_open_production, notify=email.upgrade_decided
    )


def reject(requests: list[UpgradeRequest], *, reason: str, actor: User) -> Outcome:
    """Reject pending requests with a reason the admin reads in the email."""
    return decisions.reject(
        requests,
        reason=reason,
        actor=actor,
        kind="upgrade",
        reader="the organization",
        notify=email.upgrade_decided,
    )


def _open_production(upgrade: UpgradeRequest) -> None:
    upgrade.organization.production_enabled = True
