"""The one source of "now", in UTC, so tests can travel in time without patching."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


@contextmanager
def travel(delta: timedelta):
    """Shift the clock by `delta` inside the block (tests and demos only)."""
    global _offset
    previous, _offset = _offset, _offset + delta
    try:
        yield
    finally:
        _offset = previous
