"""Sign-up, sign-in, sign-out and password reset.

Sessions carry the user's `session_version`; bumping it (logout, password reset, deletion)
kills every copy of every older session cookie.
"""

from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import clock, email, inputs
from portal.extensions import db
from portal.models import OneTimeToken, Organization, Role, TokenPurpose, User
from portal.services import Conflict, PortalError, audit, commit, secrets
from portal.services.accounts import throttling
from portal.services.naming import unique_slug
from portal.services.records.sandbox import create_demo_practice


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def hasher() -> PasswordHasher:
    """Argon2id with the configured cost (the library's defaults unless tests lower them)."""
    config = current_app.config
    return _hasher(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])


@cache
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    # Verified against when the email is unknown, so a miss costs as much time as a hit.
    return _hasher(time_cost, memory_kib).hash("not-a-real-password")


ALREADY_EXISTS = "An account with this email already exists. Sign in instead."
SIGNUP_TRIES = 5

# Organization names leave room for the sandbox names made from them (see check_names).
ORGANIZATION_NAME_MAX = 120
NAME_LIMITS = {"organization_name": ORGANIZATION_NAME_MAX, "name": 200}
# What a blank name is refused with: the words of the forms' own "Enter ..." messages.
NAME_WANTED = {"organization_name": "the organization name", "name": "your name"}


class InvalidName(PortalError):
    """A name refused; `field` says which one, for a form to show the message beside it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class InvalidCredentials(PortalError):
    status_code = 401

    def __init__(self):
        super().__init__("Email or password is incorrect.")


def normalise_email(address: str) -> str:
    return address.strip().lower()


def find_user_by_email(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(address)))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def signup(
    *, organization_name: str, name: str, email_address: str, password: str, welcome: bool = True
) -> User:
    """Create an organization, its first admin and its sandbox practice.

    Raises InvalidName for a name that is not one line or too long, and Conflict when the
    email already has an account, also when a parallel sign-up with the same email wins the
    race (the database's unique email decides).
    """
    check_names(organization_name=organization_name, name=name)
    address = normalise_email(email_address)
    password_hash = hash_password(password)
    for _ in range(SIGNUP_TRIES):
        if find_user_by_email(address):
            raise Conflict(ALREADY_EXISTS)
        try:
            return _create_account(organization_name, name, address, password_hash, welcome)
        except IntegrityError:
            # Another sign-up took this email, or the same organization slug or sandbox
            # subdomain, between our look-up and our insert: look again.
            db.session.rollback()
    raise Conflict("Many sign-ups are happening at once; please try again.")


def _create_account(
    organization_name: str, name: str, address: str, password_hash: str, welcome: bool
) -> User:
    organization = Organization(
        name=organization_name.strip(), slug=unique_slug(Organization.slug, organization_name)
    )
    user = User(
        organization=organization,
        email=address,
        name=name.strip(),
        password_hash=password_hash,
        role=Role.OWNER,
    )
    db.session.add_all([organization, user])
    db.session.flush()
    enrollment = create_demo_practice(organization)
    audit.record("organization.signup", actor=user, organization=organization, target=organization)
    if welcome:
        email.welcome(user, enrollment.institution)
    commit()
    return user


def check_names(**names: str) -> None:
    """Names are one line, show something (they are stored stripped), and leave
    room for what is made of them (e.g. the sandbox's "<organization> Demo Practice - Main
    Office"). Raises InvalidName naming the field."""
    for field, value in names.items():
        label, limit = field.replace("_", " "), NAME_LIMITS[field]
        if not inputs.one_line(value):
            raise InvalidName(f"The {label} must be one line of text.", field)
        if inputs.blank(value):
            raise InvalidName(f"Enter {NAME_WANTED[field]}.", field)
        if len(value.strip()) > limit:
            raise InvalidName(f"The {label} takes 1 to {limit} characters.", field)


def authenticate(email_address: str, password: str, *, address: str | None) -> User:
    """Check a password under the throttle. Raises RateLimited or InvalidCredentials.

    The attempt is counted (and committed) before the password is checked, so parallel
    guesses cannot overtake the limit."""
    keys = throttling.keys_for(email_address, address)
    throttling.reserve(keys)
    user = find_user_by_email(email_address)
    if user is None or not _verify(user.password_hash, password):
        throttling.record_failure(keys)
        commit()
        audit.denial("sign_in", organization=user and user.organization, email=email_address)
        raise InvalidCredentials()
    throttling.clear(keys)
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    audit.record("user.login", actor=user)
    commit()
    return user


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        config = current_app.config
        dummy = _dummy_hash(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])
        return hasher().verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def logout(user: User) -> None:
    """End every session of `user`: copies of the cookie stop working too."""
    user.session_version += 1
    audit.record("user.logout", actor=user)
    commit()


def load_session_user(session_id: str) -> User | None:
    """The Flask-Login loader: "<user id>:<session version>" must match the stored version."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.session_version == int(version) else None


def request_password_reset(email_address: str) -> None:
    """Email a single-use reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email_address)
    if user is None:
        return
    raw = secrets.token()
    ttl = timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])
    db.session.add(
        OneTimeToken(
            purpose=TokenPurpose.PASSWORD_RESET,
            digest=secrets.digest(raw),
            user_id=user.id,
            expires_at=clock.now() + ttl,
        )
    )
    audit.record("user.password_reset_requested", actor=user, target=user)
    email.password_reset(user, raw, ttl)
    commit()


def find_reset_token(raw: str) -> OneTimeToken | None:
    """The unused, unexpired reset token for `raw`, or None."""
    token = db.session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.digest == secrets.digest(raw),
            OneTimeToken.purpose == TokenPurpose.PASSWORD_RESET,
            OneTimeToken.used_at.is_(None),
        )
    )
    if token is None or token.expires_at <= clock.now():
        audit.denial("link", link="password reset")
        return None
    return token


def reset_password(raw: str, new_password: str) -> User:
    """Use a reset token once: set the password and end every existing session."""
    token = find_reset_token(raw)
    if token is None:
        raise PortalError("This reset link is no longer valid. Request a new one.")
    token.used_at = clock.now()
    user = db.session.get(User, token.user_id)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    throttling.clear(throttling.keys_for(user.email, None))
    audit.record("user.password_reset", actor=user, target=user)
    commit()
    return user


def create_staff(email_address: str, password: str, *, name: str = "") -> User:
    """Create an ops staff user (no organization), named after the address unless `name`
    is given. Raises InvalidName for a name of spaces, Conflict if the email is taken."""
    if name:
        check_names(name=name)
    address = normalise_email(email_address)
    if find_user_by_email(address):
        raise Conflict(f"{address} already has an account.")
    user = User(
        email=address,
        name=name.strip() or address.split("@")[0],
        is_staff=True,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("staff.created", actor=None, target=user, email=address)
    commit()
    return user


def add_member(
    organization: Organization,
    email_address: str,
    name: str,
    password: str,
    role: Role = Role.DEVELOPER,
) -> User:
    """Add a user directly (demo data; people join through invitations), a Developer unless
    `role` says otherwise."""
    address = normalise_email(email_address)
    if find_user_by_email(address):
        raise Conflict(f"{address} already has an account.")
    user = User(
        organization=organization,
        email=address,
        name=name,
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.added", actor=None, organization=organization, target=user, role=role.label)
    commit()
    return user


def find_organization(slug: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.slug == slug))


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))
