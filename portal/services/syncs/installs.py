"""What ops staff do to syncs: confirm an install window, mark an install done, reject
cloud credentials, mark a sync failed. Each is a bulk call over selected syncs that
changes the ones it may and skips the others with the reason (an Outcome), in one
transaction; the creating organization's admins are emailed about each change."""

from datetime import datetime

from portal import clock
from portal.models import Sync, User
from portal.services import Forbidden, PortalError, commit
from portal.services.outcomes import Outcome, each
from portal.services.syncs import lifecycle
from portal.services.syncs.lifecycle import Change

MAX_REASON = 500


def confirm_windows(syncs: list[Sync], *, windows: dict[int, str], actor: User) -> Outcome:
    """Confirm one proposed window per scheduled sync (`windows`: sync id -> ISO start)."""
    _require_staff(actor)

    def confirm(sync: Sync) -> None:
        start = _parse(windows.get(sync.id, ""))
        change = Change(values={"confirmed_window_start": start}, details={"window": str(start)})
        lifecycle.transition(sync, "confirm_window", actor=actor, change=change)

    return _done(each(syncs, confirm))


def mark_installed(syncs: list[Sync], *, actor: User) -> Outcome:
    """The engineer finished: the sync is active and its enrollment moves on (live, or
    choosing locations). A scheduled install needs its window confirmed first."""
    _require_staff(actor)
    return _done(
        each(syncs, lambda sync: lifecycle.transition(sync, "mark_installed", actor=actor))
    )


def reject_credentials(syncs: list[Sync], *, reason: str, actor: User) -> Outcome:
    """The cloud credentials did not work: back on the developer's TO DO list, with why."""
    _require_staff(actor)
    change = Change(values={"credentials_password_encrypted": None}, reason=_reason(reason))
    return _done(
        each(
            syncs,
            lambda s: lifecycle.transition(s, "reject_credentials", actor=actor, change=change),
        )
    )


def mark_failed(syncs: list[Sync], *, reason: str, actor: User) -> Outcome:
    _require_staff(actor)
    change = Change(reason=_reason(reason))
    return _done(each(syncs, lambda s: lifecycle.transition(s, "fail", actor=actor, change=change)))


def _require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden("Only staff install syncs.")


def _done(outcome: Outcome) -> Outcome:
    commit()
    return outcome


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise PortalError("Give the reason: the developer sees it.")
    return reason[:MAX_REASON]


def _parse(window: str) -> datetime | None:
    try:
        start = datetime.fromisoformat(window)
    except ValueError:
        return None
    return start if start.tzinfo else start.replace(tzinfo=clock.now().tzinfo)
