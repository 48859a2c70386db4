"""What a bulk call did: every bulk service takes rows and an actor, changes the rows it may,
skips the others with the reason, and returns an Outcome, in one transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field

from portal.services import PortalError


@dataclass
class Outcome:
    done: list = field(default_factory=list)
    skipped: list[tuple[object, str]] = field(default_factory=list)

    def skip(self, row, why: str) -> None:
        self.skipped.append((row, why))

    def summary(self, done: str, name: Callable[[object], str] = lambda row: f"#{row.id}") -> str:
        """`done` formatted with n, then one sentence per skipped row."""
        parts = [done.format(n=len(self.done))]
        parts += [f"Skipped {name(row)}: {why}" for row, why in self.skipped]
        return " ".join(parts)


def each(rows: list, change: Callable[[object], None], outcome: Outcome | None = None) -> Outcome:
    """Apply `change` to each row; a PortalError skips that row with its message."""
    outcome = outcome or Outcome()
    for row in rows:
        try:
            change(row)
        except PortalError as refusal:
            outcome.skip(row, str(refusal))
        else:
            outcome.done.append(row)
    return outcome
