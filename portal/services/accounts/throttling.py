"""Sign-in throttling per account and per address, kept in the database so every worker agrees.

After too many failures in a window the key is locked for a while, even for the right
password; once the lock ends the counter starts again.
"""

from datetime import timedelta

from flask import current_app

from portal import clock
from portal.extensions import db
from portal.models import LoginThrottle
from portal.services import RateLimited

WINDOW = timedelta(minutes=15)


def keys_for(email: str, address: str | None) -> dict[str, int]:
    config = current_app.config
    keys = {f"account:{email.strip().lower()}": config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]}
    if address:
        keys[f"address:{address}"] = config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    return keys


def check(keys: dict[str, int]) -> None:
    """Raise RateLimited while any of the keys is locked."""
    now = clock.now()
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        if row and row.locked_until and row.locked_until > now:
            wait = int((row.locked_until - now).total_seconds()) + 1
            raise RateLimited(
                f"Too many failed sign-ins. Try again in {_human(wait)}.", retry_after=wait
            )


def record_failure(keys: dict[str, int]) -> None:
    now = clock.now()
    lockout = timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
    for key, limit in keys.items():
        row = db.session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
        db.session.add(row)
        if (
            row.window_started_at is None
            or row.window_started_at + WINDOW < now
            or (row.locked_until and row.locked_until <= now)
        ):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + lockout


def clear(keys: dict[str, int]) -> None:
    """A successful sign-in clears the account's counter (not the address's)."""
    for key in keys:
        if key.startswith("account:") and (row := db.session.get(LoginThrottle, key)):
            db.session.delete(row)


def _human(seconds: int) -> str:
    minutes = (seconds + 59) // 60
    return (
        f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds > 60 else f"{seconds} seconds"
    )
