"""Builders for onboarding tests: organizations with production institutions and syncs in
a chosen state, made through the services where a service exists."""

from datetime import timedelta

from portal import catalogue, clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    InstallMethod,
    Location,
    Mode,
    Sync,
    SyncStage,
)
from portal.services import commit
from portal.services.onboarding import institutions
from portal.services.syncs import keys
from tests.conftest import signup

ADDRESS = {
    "street_address": "1 Main Street",
    "city": "Albany",
    "state": "NY",
    "zip_code": "12207",
    "phone_number": "(518) 555-0100",
}


def upgraded(org: str, email: str, name: str = "Dev Eloper"):
    """A signed-up organization admin whose organization may work in production."""
    user = signup(org, email, name)
    user.organization.production_enabled = True
    commit()
    return user


def institution(user, name: str = "Bright Smiles", **fields) -> Enrollment:
    details = institutions.Details(**{"name": name, **ADDRESS, **fields})
    return institutions.create(details, actor=user, mode=Mode.PRODUCTION)


def enrollment_in(user, status: EnrollmentStatus, name: str = "Bright Smiles") -> Enrollment:
    """An enrollment put straight into `status` (the test's starting point)."""
    enrollment = institution(user, name)
    enrollment.status = status
    commit()
    return enrollment


def sync_in(enrollment: Enrollment, ehr: str, status: SyncStage, server: str = "SRV1") -> Sync:
    """A sync of `ehr` put straight into `status` (the test's starting point)."""
    system = catalogue.get(ehr)
    sync = Sync(
        institution=enrollment.institution,
        created_by_org_id=enrollment.organization_id,
        ehr=ehr,
        install_method=system.install,
        server_name=server if system.on_prem else "",
        status=status,
    )
    if system.install is InstallMethod.SELF_INSTALLER:
        for name, value in keys.fresh_product_key().items():
            setattr(sync, name, value)
    db.session.add(sync)
    commit()
    return sync


def live_practice(email: str = "desk@shared.example", offices: int = 2):
    """A practice live with Alpha Apps' Synchronizer, with `offices` locations: the one other
    developers match and ask the practice for."""
    owner = upgraded("Alpha Apps", "a@alpha.example")
    enrollment = enrollment_in(owner, EnrollmentStatus.LIVE, "Shared Smiles")
    enrollment.institution.email = email
    sync_in(enrollment, "dentrix", SyncStage.ACTIVE)
    for i in range(1, offices + 1):
        db.session.add(
            Location(institution=enrollment.institution, foreign_id=str(i), name=f"Office {i}")
        )
    db.session.commit()
    return enrollment.institution


def scheduled_with_windows(user, name: str = "Bright Smiles", days=(2, 3)) -> Sync:
    """A scheduled install (Dolphin) waiting for staff to confirm one of its proposed windows."""
    enrollment = enrollment_in(user, EnrollmentStatus.INSTALLING, name)
    sync = sync_in(enrollment, "dolphin", SyncStage.INSTALLING)
    sync.proposed_windows = [
        (clock.now() + timedelta(days=d)).replace(microsecond=0).isoformat() for d in days
    ]
    commit()
    return sync
