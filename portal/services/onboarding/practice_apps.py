"""The practice's Apps page: every developer organization with access to the practice, or
asking for it, read in one query."""

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessRequest,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    LocationGrant,
    Organization,
    RequestStatus,
)
from portal.services.onboarding import consent


@dataclass(frozen=True)
class App:
    """One developer organization as the practice sees it."""

    enrollment_id: int
    organization: str
    status: str
    request_id: int | None
    active_locations: int


def apps_for(institution: Institution) -> list[App]:
    """Every organization with access to, or asking for, `institution`, in one query."""
    consent.expire_due_for(institution)
    active = (
        select(func.count(LocationGrant.id))
        .where(LocationGrant.enrollment_id == Enrollment.id)
        .where(LocationGrant.status == GrantStatus.ACTIVE)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Enrollment.id, Organization.name, Enrollment.status, AccessRequest.id, active)
        .join(Organization, Organization.id == Enrollment.organization_id)
        .outerjoin(
            AccessRequest,
            (AccessRequest.enrollment_id == Enrollment.id)
            & (AccessRequest.status == RequestStatus.PENDING),
        )
        .where(Enrollment.institution_id == institution.id)
        .where(
            Enrollment.status.in_(
                [
                    EnrollmentStatus.LIVE,
                    EnrollmentStatus.AWAITING_CONSENT,
                    EnrollmentStatus.NEEDS_LOCATIONS,
                ]
            )
        )
        .order_by(Organization.name)
    )
    return [App(*row) for row in rows]
