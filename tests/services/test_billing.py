from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    Location,
    LocationGrant,
    Mode,
)
from portal.services import commit
from portal.services.onboarding import billing
from portal.services.onboarding.billing import Month
from tests.conftest import signup


def at(day: int, month: int = 11, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def enrollment(org_admin):
    institution = Institution(
        name="Billing Dental", subdomain="billing-dental", mode=Mode.PRODUCTION
    )
    enrollment = Enrollment(
        organization=org_admin.organization,
        institution=institution,
        mode=Mode.PRODUCTION,
        status=EnrollmentStatus.LIVE,
    )
    db.session.add_all([institution, enrollment])
    commit()
    return enrollment


def grant(enrollment, foreign_id, activated, deactivated=None):
    location = db.session.scalar(
        db.select(Location).where(
            Location.institution_id == enrollment.institution_id, Location.foreign_id == foreign_id
        )
    ) or Location(institution_id=enrollment.institution_id, foreign_id=foreign_id, name=foreign_id)
    status = GrantStatus.DEACTIVATED if deactivated else GrantStatus.ACTIVE
    db.session.add(
        LocationGrant(
            enrollment=enrollment,
            location=location,
            status=status,
            activated_at=activated,
            deactivated_at=deactivated,
        )
    )
    commit()


def test_a_grant_counts_every_day_it_touches_within_the_month(org_admin, enrollment):
    grant(enrollment, "a", at(10, hour=23), at(12, hour=1))  # 10th, 11th, 12th
    usage = billing.usage(org_admin.organization, Month.parse("2026-11"))
    assert usage.location_days == 3 and usage.billable_locations == 0


def test_month_boundaries_cut_the_interval(org_admin, enrollment):
    grant(enrollment, "a", at(28, month=10), at(2, month=12))
    assert billing.usage(org_admin.organization, Month.parse("2026-10")).location_days == 4
    assert billing.usage(org_admin.organization, Month.parse("2026-11")).location_days == 30
    assert billing.usage(org_admin.organization, Month.parse("2026-12")).location_days == 2


def test_an_active_grant_bills_until_now(org_admin, enrollment):
    from portal import clock

    today = clock.now()
    grant(enrollment, "a", today.replace(day=1, hour=0))
    usage = billing.usage(org_admin.organization)
    assert usage.location_days == today.day and usage.billable_locations == 1


def test_overlapping_grants_of_one_location_count_once_and_locations_add_up(org_admin, enrollment):
    grant(enrollment, "a", at(1), at(5))
    grant(enrollment, "a", at(4), at(6))  # reactivated: days 4-5 already counted
    grant(enrollment, "b", at(1), at(1, hour=13))
    usage = billing.usage(org_admin.organization, Month.parse("2026-11"))
    assert usage.location_days == 6 + 1
    assert usage.by_institution[0].institution == "Billing Dental"


def test_sandbox_grants_never_bill(org_admin):
    usage = billing.usage(org_admin.organization)  # the demo practice has an active grant
    assert usage.location_days == 0 and usage.billable_locations == 0


def test_the_monthly_export_lists_each_organization(org_admin, enrollment):
    other = signup("Other Co", "o@other.example")
    grant(enrollment, "a", at(1), at(3))
    rows = list(billing.monthly_rows(Month.parse("2026-11")))
    assert rows == [("Alpha Apps", org_admin.organization.slug, "2026-11", 3)]
    assert other.organization.slug not in str(rows)


def test_month_parsing_refuses_nonsense():
    with pytest.raises(ValueError):
        Month.parse("november")
    assert Month.parse("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)
