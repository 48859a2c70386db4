"""What a practice's IT does on a hosted onboarding page, without signing in: complete the
practice's details, pick its health record system, enter a cloud system's credentials.
Each step is one transaction that also records `onboarding_updated`."""

from portal import catalogue
from portal.extensions import db
from portal.models import InstallMethod, Onboarding, Sync
from portal.services import Conflict, PortalError, commit
from portal.services.onboarding import hosted
from portal.services.syncs import setup


def complete_details(onboarding: Onboarding, details: dict) -> Onboarding:
    """Create (or match) the institution from the details the practice entered. Raises
    InvalidDetails naming each wrong field."""
    if onboarding.enrollment_id is not None:
        raise Conflict("The practice's details are already complete.")
    hosted.place_institution(onboarding, details, onboarding.organization)
    hosted.touched(onboarding)
    commit()
    return onboarding


def choose_system(onboarding: Onboarding, *, ehr: str, server_name: str = "") -> Sync:
    """Add the sync for the chosen system (self-installer: its product key is shown next;
    cloud: credentials are asked next). One system per link."""
    if onboarding.enrollment is None:
        raise PortalError("Complete the practice's details first.")
    if onboarding.sync is not None:
        raise Conflict(f"{catalogue.name_of(onboarding.sync.ehr)} was already chosen.")
    if ehr not in {system.code for system in hosted.systems()}:
        raise PortalError("Choose the practice's health record system.")
    sync = setup.add_sync(onboarding.enrollment, ehr=ehr, server_name=server_name, actor=None)
    onboarding.sync, onboarding.emr_name = sync, ehr
    hosted.touched(onboarding)
    commit()
    return sync


def submit_credentials(onboarding: Onboarding, *, url: str, username: str, password: str):
    """Store the cloud system's credentials (encrypted; never shown again) and hand the
    sync to our engineers, as the developer's own form does."""
    sync = onboarding.sync
    if sync is None or sync.install_method is not InstallMethod.CLOUD:
        raise PortalError("Choose the practice's cloud system first.")
    hosted.touched(onboarding)  # committed with the credentials, or not at all
    try:
        return setup.submit_credentials(
            sync, url=url, username=username, password=password, actor=None
        )
    except PortalError:
        db.session.rollback()
        raise
