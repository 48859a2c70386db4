"""Read models for the two home pages: small aggregate queries, no per-row work."""

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    TABS,
    AccessRequest,
    ActivationRequest,
    EmailStatus,
    Enrollment,
    InstallMethod,
    Institution,
    Location,
    Mode,
    Organization,
    OutboundEmail,
    RequestStatus,
    Sync,
    SyncStage,
    UpgradeRequest,
)


@dataclass(frozen=True)
class SandboxSummary:
    institution_id: int
    name: str
    subdomain: str
    location_id: int
    location_name: str


def sandbox_summary(organization: Organization) -> SandboxSummary | None:
    """The organization's first sandbox institution and its first location."""
    row = db.session.execute(
        select(Institution.id, Institution.name, Institution.subdomain, Location.id, Location.name)
        .join(Enrollment, Enrollment.institution_id == Institution.id)
        .join(Location, Location.institution_id == Institution.id)
        .where(Enrollment.organization_id == organization.id, Enrollment.mode == Mode.SANDBOX)
        .order_by(Institution.id, Location.id)
        .limit(1)
    ).first()
    return SandboxSummary(*row) if row else None


def todo_count(organization: Organization, mode: Mode) -> int:
    return db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.organization_id == organization.id,
            Enrollment.mode == mode,
            Enrollment.status.in_(TABS["todo"]),
        )
    )


def ops_queue_sizes() -> dict[str, int]:
    """How many items wait in each ops queue."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "Upgrade requests": count(UpgradeRequest, UpgradeRequest.status == RequestStatus.PENDING),
        "Scheduled installs": count(
            Sync,
            Sync.install_method == InstallMethod.SCHEDULED,
            Sync.status == SyncStage.INSTALLING,
        ),
        "Cloud installs": count(
            Sync, Sync.install_method == InstallMethod.CLOUD, Sync.status == SyncStage.INSTALLING
        ),
        "Activation requests": count(
            ActivationRequest, ActivationRequest.status == RequestStatus.PENDING
        ),
        "Access requests": count(AccessRequest, AccessRequest.status == RequestStatus.PENDING),
        "Failed syncs": count(Sync, Sync.status == SyncStage.FAILED),
        "Emails not delivered": count(
            OutboundEmail, OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.FAILED])
        ),
    }
