"""Sign-in throttling per account and per address, kept in the database so every process
agrees.

Each attempt takes a numbered ticket per key with one atomic upsert (INSERT ... ON CONFLICT
DO UPDATE ... RETURNING) before its password is checked: with a limit of 10, ten parallel
attempts are checked and the rest are refused, however many race. A failed tenth attempt
locks the key for LOGIN_LOCKOUT_SECONDS, even for the right password; once the lock (or the
window) ends the count starts again. A successful sign-in gives its tickets back.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, literal, null, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from portal import clock
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.models import LoginThrottle
from portal.services import RateLimited, audit

WINDOW = timedelta(minutes=15)
T = LoginThrottle.__table__.c


def keys_for(email: str, address: str | None) -> dict[str, int]:
    """The throttle keys of an attempt and the limit of each."""
    config = current_app.config
    keys = {f"account:{email.strip().lower()}": config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]}
    if address:
        keys[f"address:{address}"] = config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    return keys


def reserve(keys: dict[str, int]) -> None:
    """Count this attempt against every key, committed before the password is checked.

    Raises RateLimited (the password is not checked) when any key is over its limit, and
    audits the refusal with what was throttled (the account or the client address).
    """
    now = clock.now()
    counts = {key: _take_ticket(key, now) for key in keys}
    db.session.commit()
    for key, limit in keys.items():
        number, locked_until = counts[key]
        if number > limit:
            wait = current_app.config["LOGIN_LOCKOUT_SECONDS"]
            if locked_until is not None and locked_until > now:
                wait = int((locked_until - now).total_seconds()) + 1
            audit.denial("throttled", throttled=key.partition(":")[0], retry_after=wait)
            raise RateLimited(
                f"Too many failed sign-ins. Try again in {_human(wait)}.", retry_after=wait
            )


def record_failure(keys: dict[str, int]) -> None:
    """The checked password was wrong: a key whose count reached its limit locks now."""
    until = clock.now() + timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
    for key, limit in keys.items():
        db.session.execute(
            update(LoginThrottle)
            .where(T.key == key, T.failures >= limit, T.locked_until.is_(None))
            .values(locked_until=until),
            execution_options={"synchronize_session": False},
        )


def clear(keys: dict[str, int]) -> None:
    """A successful sign-in: the account starts again; the address gets its ticket back."""
    for key in keys:
        if key.startswith("account:"):
            db.session.execute(
                delete(LoginThrottle).where(T.key == key),
                execution_options={"synchronize_session": False},
            )
        else:
            db.session.execute(
                update(LoginThrottle)
                .where(T.key == key, T.failures > 0)
                .values(failures=T.failures - 1),
                execution_options={"synchronize_session": False},
            )


def _take_ticket(key: str, now) -> tuple[int, object]:
    """Add one to the key's count (starting a new window when the old one or its lock is
    over) and return (the new count, the lock's end) in one statement."""
    at = literal(now, UTCDateTime())
    over = or_(
        T.window_started_at < literal(now - WINDOW, UTCDateTime()),
        and_(T.locked_until.is_not(None), T.locked_until <= at),
    )
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LoginThrottle).values(
        key=key, failures=1, window_started_at=now, locked_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[T.key],
        set_={
            "failures": case((over, 1), else_=T.failures + 1),
            "window_started_at": case((over, at), else_=T.window_started_at),
            "locked_until": case((over, null()), else_=T.locked_until),
        },
    ).returning(T.failures, T.locked_until)
    return tuple(db.session.execute(statement).one())


def _human(seconds: int) -> str:
    minutes = (seconds + 59) // 60
    return (
        f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds > 60 else f"{seconds} seconds"
    )
