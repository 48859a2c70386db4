"""Tenant scoping as named queries: what one organization may see of each model.

Every read in `/portal` goes through `visible(model, organization)`; a model missing from
this table is not visible to organizations at all.
"""

from sqlalchemy import false, select

from portal.extensions import db
from portal.models import (
    AccessRequest,
    ActivationRequest,
    ApiKey,
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    ImportBatch,
    Institution,
    Invitation,
    Location,
    LocationGrant,
    Mode,
    Organization,
    OutboundEmail,
    Sync,
    UpgradeRequest,
    User,
    WebhookEndpoint,
)
from portal.services import NotFound, audit

OWNED = (
    AccessRequest,
    ActivationRequest,
    ApiKey,
    AuditEvent,
    ImportBatch,
    Invitation,
    OutboundEmail,
    UpgradeRequest,
    User,
    Enrollment,
    WebhookEndpoint,
)


# The practice let the organization in (or it is the organization's own institution, live).
GRANTED = (EnrollmentStatus.LIVE, EnrollmentStatus.NEEDS_LOCATIONS)


def enrolled_institution_ids(organization: Organization, mode: Mode | None = None):
    query = select(Enrollment.institution_id).where(Enrollment.organization_id == organization.id)
    return query.where(Enrollment.mode == mode) if mode else query


def granted_institution_ids(organization: Organization, mode: Mode | None = None):
    """Institutions whose Synchronizer the organization may use now."""
    return enrolled_institution_ids(organization, mode).where(Enrollment.status.in_(GRANTED))


def visible(model, organization: Organization, mode: Mode | None = None):
    """A WHERE clause limiting `model` to the rows `organization` may see (in `mode`)."""
    if model in OWNED:
        clause = model.organization_id == organization.id
        if mode is not None and model is Enrollment:
            clause = clause & (Enrollment.mode == mode)
        return clause
    if model is Institution:
        return Institution.id.in_(enrolled_institution_ids(organization, mode))
    if model is Sync:
        # Its own syncs; another organization's only once the practice granted access.
        mine = Sync.created_by_org_id == organization.id
        granted = Sync.institution_id.in_(granted_institution_ids(organization, mode))
        return Sync.institution_id.in_(enrolled_institution_ids(organization, mode)) & (
            mine | granted
        )
    if model is Location:
        return Location.institution_id.in_(enrolled_institution_ids(organization, mode))
    if model is LocationGrant:
        enrollments = select(Enrollment.id).where(Enrollment.organization_id == organization.id)
        return LocationGrant.enrollment_id.in_(enrollments)
    return false()


def is_visible(model, organization: Organization, row_id: int, mode: Mode, *conditions) -> bool:
    """Whether `organization` sees row `row_id` of `model` in `mode` (and `conditions`):
    nothing is audited, for a row already refused in the other mode."""
    clauses = [model.id == row_id, visible(model, organization, mode), *conditions]
    if hasattr(model, "mode"):
        clauses.append(model.mode == mode)
    return db.session.scalar(select(select(model.id).where(*clauses).exists()))


def get_visible(model, organization: Organization, row_id: int, missing: str):
    """The row `row_id` of `model` if `organization` may see it. Raises NotFound(`missing`):
    another organization's id looks exactly like an id that does not exist."""
    row = db.session.scalar(select(model).where(model.id == row_id, visible(model, organization)))
    if row is None:
        raise refused(model, row_id, missing)
    return row


def refused(model, row_id: int, missing: str, *foreign) -> NotFound:
    """The NotFound for a row the caller may not see; when the row exists (another
    organization's, or matching the `foreign` conditions), the probe is audited first. The
    answer is the same either way."""
    probe_audited(model, [row_id], *foreign)
    return NotFound(missing)


def probe_audited(model, row_ids, *foreign) -> bool:
    """Audit a request for rows of `model` that exist (and match the `foreign` conditions,
    e.g. another practice's) but were refused; returns whether any of `row_ids` does."""
    ids = sorted({int(i) for i in row_ids})
    query = select(model.id).where(model.id.in_(ids), *foreign)
    existing = db.session.scalars(query).all() if ids else []
    if existing:
        audit.denial("other_tenant", target_type=model.__name__, target_id=existing[0])
    return bool(existing)
