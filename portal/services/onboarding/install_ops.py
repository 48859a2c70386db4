"""What ops staff do to syncs: confirm an install window, mark an install done, reject
cloud credentials, mark a sync failed. Each is a bulk call over selected syncs: all of them
change, or none (the first refusal names its sync). The creating organization's admins
are emailed about each change."""

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select

from portal import clock, email
from portal.extensions import db
from portal.models import InstallMethod, Sync, SyncStage, User
from portal.services import InvalidTransition, NotFound, PortalError, audit, commit
from portal.services.onboarding import syncs

MAX_REASON = 500


def load(sync_ids: Iterable[int]) -> list[Sync]:
    """The syncs with these ids, re-read from the database; NotFound if any is missing."""
    wanted = {int(i) for i in sync_ids}
    found = list(db.session.scalars(select(Sync).where(Sync.id.in_(wanted)).order_by(Sync.id)))
    if not wanted or len(found) != len(wanted):
        raise NotFound("Some of the selected syncs no longer exist.")
    return found


def _each(found: list[Sync], change: Callable[[Sync], None]) -> int:
    try:
        for sync in found:
            try:
                change(sync)
            except PortalError as error:
                raise type(error)(f"Sync #{sync.id} ({sync.institution.name}): {error}") from error
    except PortalError:
        db.session.rollback()
        raise
    commit()
    return len(found)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise PortalError("Give the reason: the developer sees it.")
    return reason[:MAX_REASON]


def confirm_windows(choices: dict[int, str], *, actor: User) -> int:
    """Confirm one proposed window per scheduled sync ({sync id: ISO start})."""

    def confirm(sync: Sync) -> None:
        window = choices[sync.id]
        if sync.install_method is not InstallMethod.SCHEDULED:
            raise InvalidTransition("only scheduled installs have install windows.")
        if sync.status is not SyncStage.INSTALLING or window not in sync.proposed_windows:
            raise InvalidTransition("pick one of the windows the developer proposed.")
        sync.confirmed_window_start = _parse(window)
        audit.record("sync.window_confirmed", actor=actor, target=sync, window=window)
        for admin in syncs.admins_of(sync):
            email.install_window_confirmed(admin, sync)

    return _each(load(choices), confirm)


def mark_installed(sync_ids: Iterable[int], *, actor: User) -> int:
    """The engineer finished: the sync is active and its enrollment moves on (live, or
    choosing locations). A scheduled install needs its window confirmed first."""

    def install(sync: Sync) -> None:
        if sync.install_method is InstallMethod.SCHEDULED and not sync.confirmed_window_start:
            raise InvalidTransition("confirm an install window first.")
        syncs.mark_installed(sync, actor=actor)
        for admin in syncs.admins_of(sync):
            email.sync_installed(admin, sync)

    return _each(load(sync_ids), install)


def reject_credentials(sync_ids: Iterable[int], *, reason: str, actor: User) -> int:
    """The cloud credentials did not work: back on the developer's TO DO list, with why."""
    reason = _reason(reason)

    def reject(sync: Sync) -> None:
        syncs.reject_credentials(sync, reason=reason, actor=actor)
        sync.credentials_password_encrypted = None
        for admin in syncs.admins_of(sync):
            email.credentials_rejected(admin, sync, reason)

    return _each(load(sync_ids), reject)


def mark_failed(sync_ids: Iterable[int], *, reason: str, actor: User) -> int:
    reason = _reason(reason)

    def fail(sync: Sync) -> None:
        syncs.fail(sync, reason=reason, actor=actor)
        for admin in syncs.admins_of(sync):
            email.sync_failed(admin, sync, reason)

    return _each(load(sync_ids), fail)


def _parse(window: str) -> datetime:
    start = datetime.fromisoformat(window)
    return start if start.tzinfo else start.replace(tzinfo=clock.now().tzinfo)
