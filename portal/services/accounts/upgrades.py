"""Upgrade to production: an org admin asks, staff approve or reject, the admin is emailed."""

from sqlalchemy import select

from portal import email
from portal.extensions import db
from portal.models import Organization, RequestStatus, UpgradeRequest, User
from portal.services import Conflict, audit, commit
from portal.services.accounts.members import require_admin
from portal.services.onboarding import staff_decisions


def pending_for(organization: Organization) -> UpgradeRequest | None:
    return db.session.scalar(
        select(UpgradeRequest).where(
            UpgradeRequest.organization_id == organization.id,
            UpgradeRequest.status == RequestStatus.PENDING,
        )
    )


def request_upgrade(
    actor: User, *, legal_name: str, billing_email: str, expected_practices: int
) -> UpgradeRequest:
    """File the organization's upgrade request. Raises Conflict if upgraded or already pending."""
    require_admin(actor)
    organization = actor.organization
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


def approve(staff: User, requests: list[UpgradeRequest]) -> int:
    """Approve pending requests: production mode opens for their organizations."""
    decided = _decide(staff, requests, RequestStatus.APPROVED, reason="")
    for upgrade in decided:
        upgrade.organization.production_enabled = True
    commit()
    return len(decided)


def reject(staff: User, requests: list[UpgradeRequest], *, reason: str) -> int:
    """Reject pending requests with a reason the admin reads in the email."""
    reason = staff_decisions.require_reason(reason, "the organization")
    decided = _decide(staff, requests, RequestStatus.REJECTED, reason=reason)
    commit()
    return len(decided)


def _decide(staff: User, requests: list[UpgradeRequest], status: RequestStatus, *, reason: str):
    return staff_decisions.decide(
        staff, requests, status, reason=reason, kind="upgrade", notify=email.upgrade_decided
    )
