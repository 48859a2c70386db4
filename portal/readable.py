"""How values read on a page: times in the platform's display zone ("3 Dec, 10:00 EST"),
durations ("2 h"), statuses by their label. Nothing is shown as a code, repr or ISO string."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from portal import clock
from portal.statuses import ENUMS

# A stored status code met as plain text (an audit row's before/after): its label.
CODE_LABELS = {member.value: member.label for kind in ENUMS for member in kind if "_" in member}
# Also one-word codes (`active`), for text known to hold a code; in free text they are words.
STATUS_LABELS = {member.value: member.label for kind in ENUMS for member in kind}
# Words of code names written in capitals when people write them.
ACRONYMS = {"api": "API", "csv": "CSV", "ehr": "EHR", "id": "ID", "ip": "IP", "npi": "NPI",
            "url": "URL"}  # fmt: skip


def local(moment: datetime) -> datetime:
    return moment.astimezone(_zone(current_app.config["DISPLAY_TIMEZONE"]))


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def when(moment: datetime | None) -> str:
    """ "3 Dec, 10:00 EST"; the year is added when it is not this year's."""
    if moment is None:
        return ""
    shown = local(moment)
    year = "" if shown.year == local(clock.now()).year else f" {shown.year}"
    return f"{shown.day} {shown:%b}{year}, {shown:%H:%M} {shown.tzname()}"


def stamp(moment: datetime | None) -> str:
    """ "2026-12-03 10:00 EST": sortable, for downloads."""
    if moment is None:
        return ""
    shown = local(moment)
    # isoformat and a slice: a third of strftime's time, which an export spends per row.
    return f"{shown.isoformat(' ', 'minutes')[:16]} {shown.tzname()}"


def duration(seconds: float) -> str:
    """ "5 min", "2 h", "3 days"."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def code(value: str) -> str:
    """A stored status or kind code (`active`, `needs_sync`) by its label; else as `text`."""
    return STATUS_LABELS.get(value) or text(value)


def sentence(words: list[str]) -> str:
    """Lower-case words of a code name as a name people read: ["api", "key"] "API key"."""
    named = " ".join(ACRONYMS.get(word, word) for word in words)
    return named[:1].upper() + named[1:]


def plural(count: int, singular: str, many: str | None = None) -> str:
    """ "1 location", "2 locations", "0 matches" (`many` where adding an s is wrong)."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def text(value: str) -> str:
    """A stored string as a person reads it: a status code by its label, an ISO time as a
    local one; anything else as it is."""
    if value in CODE_LABELS:
        return CODE_LABELS[value]
    if len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value
