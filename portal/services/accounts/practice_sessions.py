"""Practice contacts sign in with a one-time link sent to the institution's email address.

They have no password: the link proves they read the practice's mailbox. It works once,
for 30 minutes, and only through a POST (mail scanners follow links with GET). A session
lasts 12 hours and carries the institution's `session_version`; signing out bumps it, so
every copy of every earlier session cookie stops working (as for users).
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal import clock, email
from portal.extensions import db
from portal.models import Institution, Mode, OneTimeToken, TokenPurpose
from portal.services import PortalError, audit, commit, secrets

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)


class LinkNoLongerValid(PortalError):
    status_code = 404

    def __init__(self):
        super().__init__("This sign-in link is no longer valid. Ask for a new one.")


def send_links(address: str) -> None:
    """Email a sign-in link for each production institution using `address`; silent otherwise."""
    address = address.strip().lower()
    institutions = db.session.scalars(
        select(Institution)
        .where(func.lower(Institution.email) == address, Institution.mode == Mode.PRODUCTION)
        .order_by(Institution.name)
    ).all()
    for institution in institutions:
        raw = secrets.token()
        db.session.add(
            OneTimeToken(
                purpose=TokenPurpose.PRACTICE_LOGIN,
                digest=secrets.digest(raw),
                institution_id=institution.id,
                expires_at=clock.now() + LINK_LIFETIME,
            )
        )
        audit.record("practice.login_link_sent", actor=None, target=institution, email=address)
        email.practice_login(institution, raw)
    commit()


def check_link(raw: str) -> Institution:
    """The institution an unused, unexpired link signs in to. Raises LinkNoLongerValid."""
    token = _token(raw)
    return db.session.get(Institution, token.institution_id)


def use_link(raw: str) -> dict:
    """Spend the link (once); returns the session state to keep in the cookie."""
    token = _token(raw)
    token.used_at = clock.now()
    institution = db.session.get(Institution, token.institution_id)
    audit.record("practice.signed_in", actor=None, target=institution)
    commit()
    return {
        "institution_id": institution.id,
        "since": clock.now().isoformat(),
        "version": institution.session_version,
    }


def signed_in(state) -> Institution | None:
    """The institution a session's state still signs in to, or None: unknown, older than
    SESSION_LIFETIME, or from before a sign-out."""
    try:
        since = datetime.fromisoformat(state["since"])
        institution_id, version = int(state["institution_id"]), int(state["version"])
    except (KeyError, TypeError, ValueError):
        return None
    if since.tzinfo is None or clock.now() - since > SESSION_LIFETIME:
        return None
    institution = db.session.get(Institution, institution_id)
    return institution if institution and institution.session_version == version else None


def sign_out(institution: Institution) -> None:
    """End every session of the practice: copies of the cookie stop working too."""
    institution.session_version += 1
    audit.record("practice.signed_out", actor=None, target=institution)
    commit()


def _token(raw: str) -> OneTimeToken:
    token = db.session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.digest == secrets.digest(raw),
            OneTimeToken.purpose == TokenPurpose.PRACTICE_LOGIN,
            OneTimeToken.used_at.is_(None),
        )
    )
    if token is None or token.expires_at <= clock.now():
        audit.denial("link", link="practice sign-in")
        raise LinkNoLongerValid()
    return token
