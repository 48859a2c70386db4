"""What a developer does to get a sync installed: create it, hand out its product key,
submit cloud credentials, propose install windows, retry after a failure."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Enrollment, InstallMethod, Mode, Organization, Sync, SyncStage, User
from portal.services import Conflict, NotFound, PortalError, audit, commit, secrets, tenancy
from portal.services.onboarding import catalogue, enrollments, syncs

MAX_WINDOWS = 3
WINDOW_LEAD = timedelta(hours=24)  # our engineers need a day's notice
WINDOW_HORIZON = timedelta(days=90)
TIMEZONES = {
    "America/New_York": "Eastern",
    "America/Chicago": "Central",
    "America/Denver": "Mountain",
    "America/Phoenix": "Arizona",
    "America/Los_Angeles": "Pacific",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
}


def find_enrollment(organization: Organization, enrollment_id: int, mode: Mode) -> Enrollment:
    """The organization's enrollment in `mode`, or NotFound."""
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id, tenancy.visible(Enrollment, organization, mode)
        )
    )
    if enrollment is None:
        raise NotFound("No such institution.")
    return enrollment


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
        raise NotFound("No such sync.")
    return sync


def create_sync(enrollment: Enrollment, *, ehr: str, server_name: str, actor: User) -> Sync:
    """Add a sync for `ehr` to the enrollment's institution and start its install.

    On-prem systems need a server name, unique within the institution (one sync per
    server). The sandbox allows one complimentary Open Dental sync. Raises PortalError or
    Conflict with the reason.
    """
    sync = add_sync(enrollment, ehr=ehr, server_name=server_name, actor=actor)
    commit()
    return sync


def add_sync(enrollment: Enrollment, *, ehr: str, server_name: str, actor: User) -> Sync:
    """`create_sync` without the commit, for the CSV import's single transaction."""
    system = catalogue.get(ehr)
    if system is None:
        raise PortalError("Choose the practice's health record system.")
    server_name = server_name.strip()[:120] if system.on_prem else ""
    _check_allowed(enrollment, system, server_name)
    sync = Sync(
        institution=enrollment.institution,
        created_by_org_id=enrollment.organization_id,
        ehr=system.code,
        install_method=system.install,
        server_name=server_name,
        status=syncs.INITIAL_STATUS[system.install],
    )
    if system.install is InstallMethod.SELF_INSTALLER:
        syncs.issue_product_key(sync)
    if system.install is InstallMethod.CLOUD:
        sync.extension_token_encrypted = secrets.encrypt("ext_" + secrets.base62(32))
    db.session.add(sync)
    db.session.flush()
    _start_enrollment(enrollment, system.install, actor)
    audit.record(
        "sync.created",
        actor=actor,
        organization=enrollment.organization,
        target=sync,
        ehr=ehr,
        server_name=server_name,
    )
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


def _start_enrollment(enrollment: Enrollment, method: InstallMethod, actor: User) -> None:
    # Only an enrollment waiting for its first sync moves; a live one keeps its status and
    # the new sync shows its own progress on the institution page.
    if enrollment.status is not enrollments.S.NEEDS_SYNC:
        return
    step = {
        InstallMethod.SELF_INSTALLER: enrollments.start_install,
        InstallMethod.CLOUD: enrollments.request_credentials,
        InstallMethod.SCHEDULED: enrollments.request_schedule,
    }[method]
    step(enrollment, actor=actor)


def regenerate_product_key(sync: Sync, *, actor: User) -> None:
    """A new product key for a sync still waiting for its Synchronizer; the old one dies."""
    if sync.install_method is not InstallMethod.SELF_INSTALLER:
        raise PortalError("Only self-installer syncs have a product key.")
    if sync.status is not SyncStage.INSTALLING:
        raise Conflict("The product key can only be regenerated before the install completes.")
    syncs.issue_product_key(sync)
    audit.record("sync.product_key_regenerated", actor=actor, target=sync)
    commit()


def retry_with_new_key(sync: Sync, *, actor: User) -> None:
    """Retry a failed self-installer sync: a new product key, back to installing."""
    if sync.install_method is not InstallMethod.SELF_INSTALLER:
        raise PortalError("Retry this sync by resubmitting its credentials or install windows.")
    syncs.retry(sync, actor=actor)
    syncs.issue_product_key(sync)
    commit()


def submit_credentials(sync: Sync, *, url: str, username: str, password: str, actor: User):
    """Store a cloud system's credentials (password encrypted, never shown back) and hand
    the sync to our engineers. Also the retry of a failed or rejected cloud sync."""
    url, username = url.strip(), username.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
        raise PortalError("Enter the system's web address, such as https://practice.denticon.com.")
    if not username or len(username) > 200 or not password or len(password) > 500:
        raise PortalError("Enter the admin username and password.")
    move = syncs.retry if sync.status is SyncStage.FAILED else syncs.submit_credentials
    move(sync, actor=actor)
    sync.credentials_url, sync.credentials_username = url[:300], username
    sync.credentials_password_encrypted = secrets.encrypt(password)
    audit.record("sync.credentials_submitted", actor=actor, target=sync, url=url)
    commit()


def propose_windows(sync: Sync, *, starts: list[datetime], timezone: str, actor: User) -> None:
    """Propose up to three install windows (local times in `timezone`) for a scheduled
    install; also the retry of a failed one. Raises PortalError for unusable windows."""
    if timezone not in TIMEZONES:
        raise PortalError("Choose the practice's time zone.")
    zone, now = ZoneInfo(timezone), clock.now()
    chosen = sorted({start.replace(tzinfo=zone) for start in starts if start is not None})
    if not 1 <= len(chosen) <= MAX_WINDOWS:
        raise PortalError(f"Propose one to {MAX_WINDOWS} install windows.")
    if any(not now + WINDOW_LEAD <= start <= now + WINDOW_HORIZON for start in chosen):
        raise PortalError("Install windows must start between tomorrow and 90 days from now.")
    move = syncs.retry if sync.status is SyncStage.FAILED else syncs.propose_windows
    move(sync, actor=actor)
    sync.proposed_windows = [start.isoformat() for start in chosen]
    sync.confirmed_window_start = None
    audit.record("sync.windows_proposed", actor=actor, target=sync, windows=sync.proposed_windows)
    commit()
