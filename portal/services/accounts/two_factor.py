"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and recovery codes.

Enrolment stores a new secret (encrypted) and puts it in force only once a code from the app
confirms it; then ten recovery codes are shown once (only their digests are kept). At sign-in
a code is accepted once: the last time step used is claimed with a conditional UPDATE, as a
recovery code is. Staff always need it; an organization can require it of every member.
"""

import re

import pyotp
from flask import current_app
from sqlalchemy import func, select, update

from portal import clock
from portal.extensions import db
from portal.models import Organization, RecoveryCode, Role, User
from portal.services import Conflict, Forbidden, PortalError, audit, commit, secrets
from portal.services.accounts import throttling
from portal.services.accounts.roles import Permission, can

ISSUER = "SyncPortal"
RECOVERY_CODES = 10
# A code from the previous or next 30-second step still counts (clocks drift).
DRIFT_STEPS = 1
WRONG_CODES_PER_WINDOW = 5


class WrongCode(PortalError):
    def __init__(self):
        super().__init__("That code is not right, or it was already used. Try the next code.")


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def required(user: User) -> bool:
    """Staff always sign in with two factors; members when their organization says so."""
    if user.is_staff:
        return bool(current_app.config["STAFF_TWO_FACTOR"])
    return bool(user.organization and user.organization.require_two_factor)


def begin(user: User) -> User:
    """Start (or restart) enrolment: a new secret, not in force until `confirm` (see
    `pending_setup`). Raises Conflict when two-factor is already on."""
    if enabled(user):
        raise Conflict("Two-factor sign-in is already on. Turn it off first to change apps.")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = secrets.encrypt(secret)
    commit()
    return user


def pending_setup(user: User) -> tuple[str, str]:
    """The pending secret (for typing into an app) and its otpauth:// address (for scanning).
    Raises Conflict unless enrolment was started and not yet confirmed."""
    if user.totp_secret_encrypted is None or enabled(user):
        raise Conflict("Start setting up two-factor sign-in first.")
    secret = secrets.decrypt(user.totp_secret_encrypted)
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm(user: User, code: str) -> list[str]:
    """Put the pending secret in force once `code` proves the app has it. Audited. Returns
    the recovery codes, shown this once. Raises Conflict before `begin`, WrongCode."""
    if user.totp_secret_encrypted is None or enabled(user):
        raise Conflict("Start setting up two-factor sign-in first.")
    _claim_code(user, code)
    user.totp_enabled_at = clock.now()
    codes = _new_recovery_codes(user)
    audit.record("two_factor.enabled", actor=user, target=user, email=user.email)
    commit()
    return codes


def verify(user: User, code: str) -> str:
    """The second step of signing in: an authenticator code or an unused recovery code, each
    accepted once. Returns "code" or "recovery code". Raises RateLimited after repeated wrong
    codes, WrongCode."""
    keys = {f"two-factor:{user.id}": WRONG_CODES_PER_WINDOW}
    throttling.reserve(keys)
    try:
        used = _claim_either(user, code)
    except WrongCode:
        db.session.rollback()
        throttling.record_failure(keys)
        audit.record("two_factor.failed", actor=user, target=user)
        commit()
        raise
    throttling.clear(keys)
    if used == "recovery code":
        audit.record("two_factor.recovery_code_used", actor=user, target=user, left=left(user))
    commit()
    return used


def turn_off(user: User, code: str) -> User:
    """Turn two-factor off with a current code. Raises Conflict where it is required."""
    if required(user):
        raise Conflict("Two-factor sign-in is required for your account; it stays on.")
    _claim_either(user, code)
    _clear(user)
    audit.record("two_factor.disabled", actor=user, target=user, email=user.email)
    commit()
    return user


def reset(member: User, *, actor: User | None) -> User:
    """Turn off `member`'s two-factor sign-in (a lost phone): they set it up again at their
    next sign-in where it is required. Audited. Forbidden unless the actor manages the
    member's organization's users (an Owner is reset by an Owner), is staff, or is None (an
    operator's `flask reset-two-factor`)."""
    if actor is not None and not actor.is_staff:
        if not can(actor, Permission.MANAGE_USERS) or member.organization_id != (
            actor.organization_id
        ):
            raise Forbidden("Only the organization's Owners and Admins reset two-factor sign-in.")
        if member.role is Role.OWNER and actor.role is not Role.OWNER:
            raise Forbidden("Only an Owner resets an Owner's two-factor sign-in.")
    _clear(member)
    member.session_version += 1  # whoever holds their session signs in again
    audit.record("two_factor.reset", actor=actor, target=member, email=member.email)
    commit()
    return member


def set_required(organization: Organization, required_: bool, *, actor: User) -> Organization:
    """Require two-factor sign-in of every member (or stop). Audited. Forbidden unless the
    actor manages the organization's users."""
    if not can(actor, Permission.MANAGE_USERS) or actor.organization_id != organization.id:
        raise Forbidden("Only the organization's Owners and Admins change this.")
    if organization.require_two_factor != required_:
        organization.require_two_factor = required_
        audit.record(
            "organization.two_factor_required" if required_ else "organization.two_factor_optional",
            actor=actor,
            target=organization,
        )
    commit()
    return organization


def left(user: User) -> int:
    """How many unused recovery codes `user` has."""
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _clear(user: User) -> None:
    user.totp_secret_encrypted, user.totp_enabled_at = None, None
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id),
        execution_options={"synchronize_session": False},
    )


def _claim_either(user: User, code: str) -> str:
    digits = re.sub(r"\s", "", code or "")
    if re.fullmatch(r"\d{6}", digits):
        _claim_code(user, digits)
        return "code"
    _claim_recovery_code(user, code or "")
    return "recovery code"


def _claim_code(user: User, code: str) -> None:
    """Accept a code of the current step (give or take DRIFT_STEPS) newer than the last one
    used; the UPDATE is the claim, so the same code cannot sign in twice at once."""
    digits = re.sub(r"\s", "", code or "")
    if user.totp_secret_encrypted is None or not re.fullmatch(r"\d{6}", digits):
        raise WrongCode()
    totp, now = pyotp.TOTP(secrets.decrypt(user.totp_secret_encrypted)), clock.now()
    step = totp.timecode(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if secrets.same(totp.generate_otp(candidate), digits):
            claimed = db.session.execute(
                update(User)
                .where(User.id == user.id, User.totp_last_step < candidate)
                .values(totp_last_step=candidate),
                execution_options={"synchronize_session": False},
            )
            if claimed.rowcount == 1:
                user.totp_last_step = candidate
                return
    raise WrongCode()


def _claim_recovery_code(user: User, code: str) -> None:
    if not enabled(user):
        raise WrongCode()
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .where(RecoveryCode.digest == secrets.digest(_normal(code)))
        .values(used_at=clock.now()),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        raise WrongCode()


def _new_recovery_codes(user: User) -> list[str]:
    codes = [f"{secrets.base62(5)}-{secrets.base62(5)}".lower() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, digest=secrets.digest(_normal(code))) for code in codes
    )
    return codes


def _normal(code: str) -> str:
    # People copy codes with spaces or capitals; the dash is optional.
    return re.sub(r"[\s-]", "", code).lower()
