"""Billing usage from location-grant intervals.

A grant bills from `activated_at` until `deactivated_at` (or now). A *location-day* is one
location on one UTC calendar day during which the organization had an active grant for it
at any moment; overlapping grants of the same location count once. Only production
enrollments bill: the sandbox is free.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    GrantStatus,
    Institution,
    LocationGrant,
    Mode,
    Organization,
)


@dataclass(frozen=True)
class Month:
    start: datetime
    end: datetime  # exclusive

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
        following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
        return cls(start, following)

    @classmethod
    def parse(cls, text: str) -> "Month":
        """ "2026-11" -> November 2026. Raises ValueError on anything else."""
        year, month = (int(part) for part in text.split("-"))
        return cls.of(datetime(year, month, 1, tzinfo=UTC))

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass(frozen=True)
class InstitutionUsage:
    institution: str
    active_locations: int
    location_days: int


@dataclass(frozen=True)
class Usage:
    month: Month
    billable_locations: int
    location_days: int
    by_institution: list[InstitutionUsage]


def billable_locations(organization: Organization) -> int:
    """Locations with an active production grant right now."""
    return db.session.scalar(
        select(func.count(func.distinct(LocationGrant.location_id)))
        .join(Enrollment, Enrollment.id == LocationGrant.enrollment_id)
        .where(Enrollment.organization_id == organization.id, Enrollment.mode == Mode.PRODUCTION)
        .where(LocationGrant.status == GrantStatus.ACTIVE)
    )


def usage(organization: Organization, month: Month | None = None) -> Usage:
    """Billable locations now and location-days in `month` (default: this month)."""
    month = month or Month.of(clock.now())
    rows = _grant_rows(month, Enrollment.organization_id == organization.id)
    days_by_institution: dict[str, set] = defaultdict(set)
    active_by_institution: dict[str, set] = defaultdict(set)
    for _org_id, name, location_id, status, activated, deactivated in rows:
        for day in _days(month, activated, deactivated):
            days_by_institution[name].add((location_id, day))
        if status == GrantStatus.ACTIVE:
            active_by_institution[name].add(location_id)
    names = sorted(set(days_by_institution) | set(active_by_institution))
    breakdown = [
        InstitutionUsage(n, len(active_by_institution[n]), len(days_by_institution[n]))
        for n in names
    ]
    all_days = set().union(*days_by_institution.values()) if days_by_institution else set()
    return Usage(month, billable_locations(organization), len(all_days), breakdown)


def monthly_rows(month: Month) -> Iterator[tuple[str, str, str, int]]:
    """(organization, slug, month, location-days) for every organization that used any."""
    days: dict[int, set] = defaultdict(set)
    for org_id, _name, location_id, _status, activated, deactivated in _grant_rows(month):
        days[org_id].update((location_id, d) for d in _days(month, activated, deactivated))
    organizations = db.session.execute(
        select(Organization.id, Organization.name, Organization.slug)
        .where(Organization.id.in_(list(days)))
        .order_by(Organization.name)
    )
    for org_id, name, slug in organizations:
        yield name, slug, month.label, len(days[org_id])


def _grant_rows(month: Month, *where):
    """Production grants whose interval touches `month`, in one query."""
    return db.session.execute(
        select(
            Enrollment.organization_id,
            Institution.name,
            LocationGrant.location_id,
            LocationGrant.status,
            LocationGrant.activated_at,
            LocationGrant.deactivated_at,
        )
        .join(Enrollment, Enrollment.id == LocationGrant.enrollment_id)
        .join(Institution, Institution.id == Enrollment.institution_id)
        .where(Enrollment.mode == Mode.PRODUCTION, LocationGrant.activated_at.is_not(None))
        .where(LocationGrant.activated_at < month.end)
        .where(
            LocationGrant.deactivated_at.is_(None) | (LocationGrant.deactivated_at >= month.start)
        )
        .where(*where)
    ).all()


def _days(month: Month, activated: datetime, deactivated: datetime | None) -> Iterator[date]:
    start = max(activated, month.start)
    end = min(deactivated or clock.now(), month.end - timedelta(microseconds=1))
    day = start.date()
    while day <= end.date():
        yield day
        day += timedelta(days=1)
