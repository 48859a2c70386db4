"""Read models for the two home pages: small aggregate queries, no per-row work."""

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from portal.extensions import db
from portal.models import (
    TABS,
    AccessRequest,
    ActivationRequest,
    EmailStatus,
    Enrollment,
    EnrollmentStatus,
    InstallMethod,
    Institution,
    Location,
    Mode,
    Organization,
    OutboundEmail,
    PendingWrite,
    RequestStatus,
    Sync,
    SyncStage,
    UpgradeRequest,
    WriteStatus,
)
from portal.services.webhooks import oversight


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


def wanted_sync():
    """SQL: a sync whose organization still onboards its institution (installs for a
    deactivated institution are work nobody waits for)."""
    return exists().where(
        Enrollment.organization_id == Sync.created_by_org_id,
        Enrollment.institution_id == Sync.institution_id,
        Enrollment.status != EnrollmentStatus.DEACTIVATED,
    )


def ops_queue_sizes() -> dict[str, int]:
    """How many items wait in each ops queue (only work that still needs doing)."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    def installs(method: InstallMethod) -> int:
        return count(
            Sync,
            Sync.install_method == method,
            Sync.status == SyncStage.INSTALLING,
            wanted_sync(),
        )

    return {
        "Upgrade requests": count(UpgradeRequest, UpgradeRequest.status == RequestStatus.PENDING),
        "Scheduled installs": installs(InstallMethod.SCHEDULED),
        "Cloud installs": installs(InstallMethod.CLOUD),
        "Activation requests": count(
            ActivationRequest, ActivationRequest.status == RequestStatus.PENDING
        ),
        "Access requests": count(AccessRequest, AccessRequest.status == RequestStatus.PENDING),
        "Failed syncs": count(Sync, Sync.status == SyncStage.FAILED, wanted_sync()),
        "Emails not delivered": count(
            OutboundEmail, OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.FAILED])
        ),
        **oversight.counts(),
        "Writes not written": count(
            PendingWrite, PendingWrite.status.in_([WriteStatus.FAILED, WriteStatus.TIMED_OUT])
        ),
    }
