"""What a developer does to get a sync installed: create it, regenerate its product key,
submit cloud credentials, propose install windows, retry after a failure."""

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal import catalogue
from portal.extensions import db
from portal.models import Enrollment, InstallMethod, Mode, Organization, Sync, User
from portal.services import Conflict, PortalError, audit, commit, secrets, tenancy
from portal.services.onboarding import enrollments
from portal.services.syncs import keys, lifecycle
from portal.services.syncs.lifecycle import Change

TIMEZONES = {
    "America/New_York": "Eastern",
    "America/Chicago": "Central",
    "America/Denver": "Mountain",
    "America/Phoenix": "Arizona",
    "America/Los_Angeles": "Pacific",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
}


def find_own_sync(organization: Organization, sync_id: int, mode: Mode) -> Sync:
    """A sync this organization created (only its creator installs it), or NotFound."""
    sync = db.session.scalar(
        select(Sync).where(
            Sync.id == sync_id,
            Sync.created_by_org_id == organization.id,
            tenancy.visible(Sync, organization, mode),
        )
    )
    if sync is None:
        raise tenancy.refused(
            Sync, sync_id, "No such sync.", Sync.created_by_org_id != organization.id
        )
    return sync


def create_sync(enrollment: Enrollment, *, ehr: str, server_name: str, actor: User) -> Sync:
    """Add a sync for `ehr` to the enrollment's institution and start its install.

    On-prem systems need a server name, unique within the institution (one sync per
    server). The sandbox allows one complimentary Open Dental sync. Only an organization
    with access to the practice adds syncs to it. Raises PortalError, InvalidTransition or
    Conflict with the reason.
    """
    sync = add_sync(enrollment, ehr=ehr, server_name=server_name, actor=actor)
    commit()
    return sync


def add_sync(enrollment: Enrollment, *, ehr: str, server_name: str, actor: User | None) -> Sync:
    """`create_sync` without the commit, for the CSV import's single transaction."""
    system = catalogue.get(ehr)
    if system is None:
        raise PortalError("Choose the practice's health record system.")
    server_name = server_name.strip()[:120] if system.on_prem else ""
    enrollments.check(enrollment, "add_sync")
    _check_allowed(enrollment, system, server_name)
    sync = Sync(
        institution=enrollment.institution,
        created_by_org_id=enrollment.organization_id,
        ehr=system.code,
        install_method=system.install,
        server_name=server_name,
        status=lifecycle.INITIAL_STAGE[system.install],
    )
    if system.install is InstallMethod.SELF_INSTALLER:
        for name, value in keys.fresh_product_key().items():
            setattr(sync, name, value)
    if system.install is InstallMethod.CLOUD:
        sync.extension_token_encrypted = keys.fresh_extension_token()
    db.session.add(sync)
    db.session.flush()
    audit.record(
        "sync.created",
        actor=actor,
        organization=enrollment.organization,
        target=sync,
        ehr=ehr,
        server_name=server_name,
    )
    enrollments.follow(enrollment, sync, actor=actor)
    return sync


def _check_allowed(enrollment: Enrollment, system: catalogue.System, server_name: str) -> None:
    institution = enrollment.institution
    if institution.mode is Mode.SANDBOX:
        if system.code != catalogue.COMPLIMENTARY_SANDBOX_SYSTEM:
            raise PortalError("The sandbox takes one complimentary Open Dental sync only.")
        if institution.syncs:
            raise Conflict("Your sandbox already has its complimentary Open Dental sync.")
    if system.on_prem and not server_name:
        raise PortalError(f"{system.name} runs on the practice's server: enter the server name.")
    if system.on_prem and any(
        s.server_name.lower() == server_name.lower() for s in institution.syncs
    ):
        raise Conflict(f"This institution already has a sync on server {server_name}.")


def regenerate_product_key(sync: Sync, *, actor: User) -> Sync:
    """A new product key for a sync still waiting for its Synchronizer; the old one dies."""
    lifecycle.transition(sync, "regenerate_key", actor=actor, change=_new_key())
    commit()
    return sync


def retry_with_new_key(sync: Sync, *, actor: User) -> Sync:
    """Retry a failed self-installer sync: a new product key, back to installing."""
    lifecycle.transition(sync, "retry", actor=actor, change=_new_key())
    commit()
    return sync


def _new_key() -> Change:
    return Change(values=keys.fresh_product_key())


def submit_credentials(sync: Sync, *, url: str, username: str, password: str, actor: User):
    """Store a cloud system's credentials (password encrypted, never shown back) and hand
    the sync to our engineers. Also the retry of a failed or rejected cloud sync."""
    url, username = url.strip(), username.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise PortalError("Enter the system's web address, such as https://practice.denticon.com.")
    if not username or len(username) > 200 or not password or len(password) > 500:
        raise PortalError("Enter the admin username and password.")
    values = {
        "credentials_url": url[:300],
        "credentials_username": username,
        "credentials_password_encrypted": secrets.encrypt(password),
    }
    change = Change(values=values, details={"url": url})
    lifecycle.transition(sync, "submit_credentials", actor=actor, change=change)
    commit()
    return sync


def propose_windows(sync: Sync, *, starts: list[datetime], timezone: str, actor: User) -> Sync:
    """Propose up to three install windows (local times in `timezone`) for a scheduled
    install; also the retry of a failed one. Raises PortalError for unusable windows."""
    if timezone not in TIMEZONES:
        raise PortalError("Choose the practice's time zone.")
    zone = ZoneInfo(timezone)
    chosen = sorted({start.replace(tzinfo=zone) for start in starts if start is not None})
    windows = [start.isoformat() for start in chosen]
    values = {"proposed_windows": windows, "confirmed_window_start": None}
    change = Change(values=values, details={"windows": windows})
    lifecycle.transition(sync, "propose_windows", actor=actor, change=change)
    commit()
    return sync
