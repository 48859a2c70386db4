"""API keys: one current key per organization and mode, shown once, stored as a digest.

Format: `sp_test_` (sandbox) or `sp_live_` (production), 30 random base62 characters
(~178 bits) and a 6-character checksum of them, so a leaked key can be recognised by
scanners and a mistyped one is refused without a database lookup.
"""

import zlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Mode, Organization, User
from portal.services import Conflict, Forbidden, audit, commit, secrets, tenancy
from portal.services.accounts.roles import Permission, require

PREFIXES = {Mode.SANDBOX: "sp_test_", Mode.PRODUCTION: "sp_live_"}
RANDOM_LENGTH, CHECKSUM_LENGTH = 30, 6
GRACE_PERIODS = {"now": timedelta(0), "1h": timedelta(hours=1), "24h": timedelta(hours=24)}
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    raw: str  # shown once, never stored


def _checksum(body: str) -> str:
    number, out = zlib.crc32(body.encode()), ""
    for _ in range(CHECKSUM_LENGTH):
        number, rem = divmod(number, 62)
        out = secrets.ALPHABET[rem] + out
    return out


def generate(mode: Mode) -> str:
    body = secrets.base62(RANDOM_LENGTH)
    return PREFIXES[mode] + body + _checksum(body)


def well_formed(raw: str) -> bool:
    """Prefix, length and checksum are right (says nothing about whether the key exists)."""
    prefix = raw[:8]
    rest = raw[8:]
    if prefix not in PREFIXES.values() or len(rest) != RANDOM_LENGTH + CHECKSUM_LENGTH:
        return False
    body, checksum = rest[:RANDOM_LENGTH], rest[RANDOM_LENGTH:]
    return secrets.same(_checksum(body), checksum)


def current_key(organization: Organization, mode: Mode) -> ApiKey | None:
    return db.session.scalar(
        select(ApiKey).where(
            ApiKey.organization_id == organization.id,
            ApiKey.mode == mode,
            ApiKey.replaced_at.is_(None),
        )
    )


def keys_for(organization: Organization, mode: Mode) -> list[ApiKey]:
    """The current key and any rotated-out key still in its grace period, newest first."""
    now = clock.now()
    return db.session.scalars(
        select(ApiKey)
        .where(ApiKey.organization_id == organization.id, ApiKey.mode == mode)
        .where(usable_at(now))
        .order_by(ApiKey.id.desc())
    ).all()


def create(organization: Organization, mode: Mode, *, actor: User) -> NewKey:
    """Create the organization's key for `mode`.

    Raises Forbidden unless the actor manages keys, and for production before the upgrade;
    Conflict when a key exists (rotate it).
    """
    require(actor, Permission.MANAGE_KEYS)
    if mode == Mode.PRODUCTION and not organization.production_enabled:
        raise Forbidden("Production keys are available once your upgrade is approved.")
    if current_key(organization, mode):
        raise Conflict(f"Your organization already has a {mode.value} key. Rotate it instead.")
    new = _issue(organization, mode, actor)
    audit.record(
        "api_key.created",
        actor=actor,
        organization=organization,
        target=new.key,
        mode=mode.value,
        prefix=new.key.prefix,
        last_four=new.key.last_four,
    )
    commit()
    return new


def rotate(key: ApiKey, *, actor: User, grace: str) -> NewKey:
    """Replace `key` with a new one; the old one stops working after `grace` ("now", "1h", "24h").

    Raises Forbidden unless the actor manages keys, Conflict when `key` was already rotated.
    """
    require(actor, Permission.MANAGE_KEYS)
    if grace not in GRACE_PERIODS:
        raise Conflict(f"Choose when the old key stops working: {', '.join(GRACE_PERIODS)}.")
    if key.replaced_at is not None:
        raise Conflict("This key was already rotated.")
    now = clock.now()
    key.replaced_at, key.expires_at = now, now + GRACE_PERIODS[grace]
    db.session.flush()  # frees the one-current-key slot before the new key takes it
    new = _issue(key.organization, key.mode, actor)
    audit.record(
        "api_key.rotated",
        actor=actor,
        organization=key.organization,
        target=new.key,
        replaced_key_id=key.id,
        old_key_stops_at=key.expires_at.isoformat(),
    )
    commit()
    return new


def find_usable(raw: str) -> ApiKey | None:
    """The key for `raw` if it exists and has not expired; records when it was last used."""
    if not well_formed(raw):
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.digest == secrets.digest(raw)))
    if key is None or not is_usable(key):
        return None
    touch(key)
    return key


def is_usable(key: ApiKey) -> bool:
    return key.expires_at is None or key.expires_at > clock.now()


def usable_at(moment):
    """`is_usable` as a condition on keys at `moment` (a time, or a bind parameter)."""
    return or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > moment)


def touch(key: ApiKey) -> None:
    """Record use at most once a minute, so a busy key does not write on every request."""
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        key.last_used_at = now
        commit()


def get_for(organization: Organization, key_id: int) -> ApiKey:
    return tenancy.get_visible(ApiKey, organization, key_id, "No such key.")


def _issue(organization: Organization, mode: Mode, actor: User) -> NewKey:
    raw = generate(mode)
    key = ApiKey(
        organization_id=organization.id,
        mode=mode,
        prefix=PREFIXES[mode],
        last_four=raw[-4:],
        digest=secrets.digest(raw),
        created_by_id=actor.id,
    )
    db.session.add(key)
    db.session.flush()
    return NewKey(key, raw)
