"""Read models of the Institutions page: tab counts and, for one page of rows, their syncs,
active locations and next action, in a fixed number of queries (never one per row)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    TABS,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    LocationGrant,
    Mode,
    Organization,
    Sync,
    SyncStage,
)
from portal.services import tenancy

TAB_LABELS = {"todo": "TO DO", "in_progress": "IN PROGRESS", "all": "ALL"}

# status: (what the developer does next, the sync status it concerns)
NEXT_ACTIONS = {
    EnrollmentStatus.NEEDS_SYNC: ("create_sync", None),
    EnrollmentStatus.NEEDS_CREDENTIALS: ("provide_credentials", SyncStage.NEEDS_CREDENTIALS),
    EnrollmentStatus.NEEDS_SCHEDULE: ("pick_windows", SyncStage.NEEDS_SCHEDULE),
    EnrollmentStatus.NEEDS_LOCATIONS: ("select_locations", None),
    EnrollmentStatus.INSTALLING: ("view", None),
    EnrollmentStatus.AWAITING_CONSENT: ("view", None),
    EnrollmentStatus.FAILED: ("retry", SyncStage.FAILED),
    EnrollmentStatus.LIVE: ("sync_status", None),
    EnrollmentStatus.DEACTIVATED: ("view", None),
}


@dataclass(frozen=True)
class NextAction:
    kind: str
    sync: Sync | None = None


@dataclass
class RowFacts:
    syncs: list[Sync] = field(default_factory=list)
    active_locations: int = 0

    @property
    def last_read_at(self) -> datetime | None:
        return max((s.last_read_at for s in self.syncs if s.last_read_at), default=None)

    @property
    def last_write_at(self) -> datetime | None:
        return max((s.last_write_at for s in self.syncs if s.last_write_at), default=None)


def find_enrollment(organization: Organization, enrollment_id: int, mode: Mode) -> Enrollment:
    """The organization's enrollment in `mode` (a row of its Institutions page), or NotFound."""
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id, tenancy.visible(Enrollment, organization, mode)
        )
    )
    if enrollment is None:
        foreign = Enrollment.organization_id != organization.id
        raise tenancy.refused(Enrollment, enrollment_id, "No such institution.", foreign)
    return enrollment


def tab_clause(tab: str | None):
    """SQL for a tab of the page; None for ALL (and for anything unknown)."""
    return Enrollment.status.in_(TABS[tab]) if tab in TABS else None


def tab_counts(organization: Organization, mode: Mode) -> dict[str, int]:
    """Rows in each tab, from one GROUP BY over the organization's enrollments in `mode`."""
    per_status = dict(
        db.session.execute(
            select(Enrollment.status, func.count(Enrollment.id))
            .where(Enrollment.organization_id == organization.id, Enrollment.mode == mode)
            .group_by(Enrollment.status)
        ).all()
    )
    counts = {tab: sum(per_status.get(s, 0) for s in statuses) for tab, statuses in TABS.items()}
    counts["all"] = sum(per_status.values())
    return counts


def page_facts(rows: list[Enrollment]) -> dict[int, RowFacts]:
    """Syncs and active location counts for one page of enrollments (two queries)."""
    facts = {row.id: RowFacts() for row in rows}
    by_institution = defaultdict(list)
    for row in rows:
        by_institution[row.institution_id].append(row.id)
    if not rows:
        return facts
    rows_by_id = {row.id: row for row in rows}
    for sync in db.session.scalars(
        select(Sync).where(Sync.institution_id.in_(by_institution)).order_by(Sync.id)
    ):
        for enrollment_id in by_institution[sync.institution_id]:
            if _sees(rows_by_id[enrollment_id], sync):
                facts[enrollment_id].syncs.append(sync)
    for enrollment_id, count in db.session.execute(
        select(LocationGrant.enrollment_id, func.count(LocationGrant.id))
        .where(LocationGrant.enrollment_id.in_(facts), LocationGrant.status == GrantStatus.ACTIVE)
        .group_by(LocationGrant.enrollment_id)
    ):
        facts[enrollment_id].active_locations = count
    return facts


def _sees(enrollment: Enrollment, sync: Sync) -> bool:
    # Its own syncs; another organization's only once the practice let it in (as tenancy).
    own = sync.created_by_org_id == enrollment.organization_id
    return own or enrollment.status in tenancy.GRANTED


def next_action(enrollment: Enrollment, syncs: list[Sync]) -> NextAction:
    """The one thing the developer should do next for this row, and the sync it concerns."""
    kind, sync_status = NEXT_ACTIONS[enrollment.status]
    if sync_status is None:
        return NextAction(kind)
    own = [
        s
        for s in syncs
        if s.status is sync_status and s.created_by_org_id == enrollment.organization_id
    ]
    return NextAction(kind, own[0]) if own else NextAction("view")
