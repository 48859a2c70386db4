"""The public sign-up, which must not tell anyone whether an address already has an account.

A new address gets its organization and a welcome email. The owner of an address that has
an account is emailed that someone tried (at most once an hour), and nothing else changes;
the page answers the same in both cases.
"""

from datetime import timedelta

from sqlalchemy import func, select

from portal import clock, email
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import Conflict, audit, commit
from portal.services.accounts import users

NOTICE_INTERVAL = timedelta(hours=1)


def register(*, organization_name: str, name: str, email_address: str, password: str) -> None:
    """Sign up, or tell the address's owner that someone tried. Raises users.InvalidName
    only, which any address would get for the same names."""
    try:
        users.signup(
            organization_name=organization_name,
            name=name,
            email_address=email_address,
            password=password,
        )
    except Conflict:
        db.session.rollback()
        _tell_owner(users.normalise_email(email_address))


def _tell_owner(address: str) -> None:
    owner = users.find_user_by_email(address)
    if owner is None or _told_recently(owner):
        return
    audit.record("user.signup_attempted", actor=None, organization=owner.organization, target=owner)
    email.signup_attempted(owner)
    commit()


def _told_recently(owner) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "user.signup_attempted",
                AuditEvent.target_id == str(owner.id),
                AuditEvent.created_at > clock.now() - NOTICE_INTERVAL,
            )
        )
    )
