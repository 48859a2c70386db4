"""Builders for sandbox control tests: an organization whose sandbox practice has a running
(active, just reported) Open Dental sync."""

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Enrollment, Mode, Sync, SyncStage, User
from portal.services import commit
from tests.onboarding import sync_in


def sandbox_enrollment(user: User) -> Enrollment:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == user.organization_id, Enrollment.mode == Mode.SANDBOX
        )
    )


def running_sandbox_sync(user: User) -> Sync:
    sync = sync_in(sandbox_enrollment(user), "opendental", SyncStage.ACTIVE)
    sync.last_read_at = sync.last_write_at = clock.now()
    commit()
    return sync
