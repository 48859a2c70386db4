"""Bearer tokens for the API: exchanged for an API key, signed with SECRET_KEY, short-lived.

A token names its key and is checked against that key on every request, so it dies with
the key (rotation, expiry) even before its own lifetime ends.
"""

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import bindparam, select

from portal import clock
from portal.extensions import db
from portal.models import ApiKey, Mode
from portal.services.accounts import api_keys
from portal.services.records.api_access import Caller, InvalidCredentials

LIFETIMES = {Mode.SANDBOX: timedelta(hours=24), Mode.PRODUCTION: timedelta(hours=1)}
SALT = "api-bearer-token"
LONGEST_TOKEN = 256  # ours are about 90 characters
# Built once: every API request runs it, and building it cost more than running it. Plain
# values, not the key as an object: loading an object cost more than the query.
KEY_BY_ID = select(
    ApiKey.id,
    ApiKey.organization_id,
    ApiKey.mode,
    ApiKey.prefix,
    ApiKey.last_four,
    ApiKey.created_at,
    ApiKey.expires_at,
).where(ApiKey.id == bindparam("id"))


def authenticate(raw_key: str) -> str:
    """A new bearer token for `raw_key`.

    Raises InvalidCredentials for a malformed, unknown, expired or rotated-out key.
    """
    key = api_keys.find_usable(raw_key.strip())
    if key is None:
        raise InvalidCredentials("The API key is not valid.")
    expires = clock.now() + LIFETIMES[key.mode]
    # The key's unchanging values ride along (`named_caller`): a statement that checks the
    # key itself then needs no other read of it.
    named = {"o": key.organization_id, "m": key.mode.value, "p": key.prefix, "l": key.last_four}
    return _serializer().dumps(
        {"k": key.id, "c": _epoch(key.created_at), "e": int(expires.timestamp()), **named}
    )


def caller_for(token: str) -> Caller:
    """Who is calling with `token`.

    Raises InvalidCredentials when the token is forged or expired, or its key no longer works.
    """
    claims = genuine(token)
    key = db.session.connection().execute(KEY_BY_ID, {"id": claims["k"]}).first()
    # The creation time and the values the token names guard against a key id reused after
    # the database was rebuilt.
    named = named_caller(claims)
    if (
        key is None
        or _epoch(key.created_at) != claims["c"]
        or not api_keys.is_usable(key)
        or named not in (None, Caller.of(key))
    ):
        raise InvalidCredentials("The API key behind this bearer token no longer works.")
    return Caller.of(key)


def named_caller(claims: dict) -> Caller | None:
    """The caller a genuine token names: the values of its key when it was issued. What they
    name never changes for a key; whether the key still works is for the caller of this to
    check, with `usable_key`, which also checks that the key is still the one named. Tokens
    issued before 5 December 2026 name none (None); they expire within a day."""
    try:
        mode = Mode(claims["m"])
        named = (claims["o"], claims["p"], claims["l"])
    except (KeyError, ValueError):
        return None
    if not isinstance(named[0], int) or not all(isinstance(v, str) for v in named[1:]):
        return None
    return Caller(claims["k"], named[0], mode, named[1], named[2])


def genuine(token: str) -> dict:
    """The claims of a token we signed that has not expired, read without the database: its
    key must still be checked (`caller_for`, or `usable_key` in a statement of its own).
    Raises InvalidCredentials otherwise."""
    claims = _claims(token)
    if claims is None or claims["e"] <= clock.now().timestamp():
        raise InvalidCredentials("The bearer token is not valid or has expired.")
    return claims


@cache
def usable_key():
    """`caller_for`'s check of the key as a statement, for a statement that reads what the
    key reaches in the same round trip: it selects the key only while `caller_for` would
    accept it and it is the key the token names (`usable_key_values`)."""
    created = ApiKey.created_at.type
    return select(ApiKey.id).where(
        ApiKey.id == bindparam("key_id"),
        ApiKey.created_at >= bindparam("key_created_from", type_=created),
        ApiKey.created_at < bindparam("key_created_to", type_=created),
        api_keys.usable_at(bindparam("key_now", type_=ApiKey.expires_at.type)),
        ApiKey.organization_id == bindparam("organization_id"),
        ApiKey.mode == bindparam("mode"),
        ApiKey.prefix == bindparam("key_prefix"),
        ApiKey.last_four == bindparam("key_last_four"),
    )


def usable_key_values(claims: dict, caller: Caller) -> dict:
    """The values `usable_key` is bound to, for a genuine token's claims and the caller it
    names."""
    created = datetime.fromtimestamp(claims["c"], UTC)
    return {
        "key_id": claims["k"],
        "key_created_from": created,  # `_epoch` reads the second the key was created in
        "key_created_to": created + timedelta(seconds=1),
        "key_now": clock.now(),
        "organization_id": caller.organization_id,
        "mode": caller.mode,
        "key_prefix": caller.key_prefix,
        "key_last_four": caller.key_last_four,
    }


def key_id(token: str) -> int | None:
    """The key id a genuine token names, without touching the database (for rate limits)."""
    claims = _claims(token)
    return claims["k"] if claims else None


def _claims(token: str) -> dict | None:
    if len(token) > LONGEST_TOKEN:  # none we issue is this long: not worth holding
        return None
    return _verified(current_app.config["SECRET_KEY"], token)


@lru_cache(maxsize=4096)
def _verified(secret_key: str, token: str) -> dict | None:
    """The claims of a token signed with `secret_key`, or None. Held per process: a client
    sends the same token on every request for hours, and checking its signature cost a
    sixth of the bearer check. Only the signature's verdict is held; the expiry and the key
    behind the token are checked on every request. Callers must not change the dict."""
    try:
        claims = _serializer_for(secret_key).loads(token)
    except (BadData, UnicodeError, ValueError):
        return None
    if not isinstance(claims, dict) or not all(
        isinstance(claims.get(name), int) and not isinstance(claims.get(name), bool)
        for name in ("k", "c", "e")
    ):
        return None
    return claims


def _serializer() -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)  # once per key: every request checks one


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
