"""The issues inbox: what needs a developer now, computed from state on every read (nothing
to keep in step), per organization and mode, or across organizations for staff. An issue
disappears when its state is resolved; Snooze hides one until a chosen time."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import contains_eager, defer

from portal import clock
from portal.extensions import db
from portal.models import (
    AccessRequest,
    Enrollment,
    EnrollmentStatus,
    ImportBatch,
    ImportStatus,
    InstallMethod,
    Institution,
    IssueSnooze,
    Mode,
    Organization,
    RequestStatus,
    Sync,
    SyncStage,
    User,
    WebhookEndpoint,
)
from portal.services import PortalError, audit, commit
from portal.services.accounts.roles import Permission, require
from portal.services.syncs import health

INSTALL_SERVICE_LEVEL = timedelta(hours=72)
CONSENT_WARNING = timedelta(days=7)
SNOOZES = {"1d": timedelta(days=1), "7d": timedelta(days=7)}
RETURNED = (SyncStage.NEEDS_CREDENTIALS, SyncStage.FAILED)  # a cloud sync's credentials refused


class Kind(enum.StrEnum):
    CREDENTIALS_REJECTED = "credentials_rejected"
    CONSENT_EXPIRING = "consent_expiring"
    CONSENT_EXPIRED = "consent_expired"
    INSTALL_LATE = "install_late"
    SYNC_FAILED = "sync_failed"
    SYNC_DOWN = "sync_down"
    WEBHOOK_OFF = "webhook_off"
    IMPORT_ERRORS = "import_errors"


# What each kind is called and what to do about it.
KINDS = {
    Kind.CREDENTIALS_REJECTED: (
        "Credentials rejected",
        "Send the practice's system new credentials from the institution page.",
    ),
    Kind.CONSENT_EXPIRING: (
        "Consent request expiring",
        "Remind the practice: resend the access request before it expires.",
    ),
    Kind.CONSENT_EXPIRED: (
        "Consent request expired",
        "Request access again, or ask the practice by phone.",
    ),
    Kind.INSTALL_LATE: (
        "Install past 72 hours",
        "Check with the practice's IT that the Synchronizer was installed; we are on it too.",
    ),
    Kind.SYNC_FAILED: (
        "Sync failed",
        "Read why on the institution page and fix it with the practice; a self-installed sync "
        "then retries with a new product key.",
    ),
    Kind.SYNC_DOWN: (
        "Sync down",
        "Ask the practice to check that the Synchronizer's computer is on and online.",
    ),
    Kind.WEBHOOK_OFF: (
        "Webhook endpoint turned off",
        "Fix your receiver, then turn the endpoint back on and replay what failed.",
    ),
    Kind.IMPORT_ERRORS: (
        "Import with errors",
        "Download the errors, fix the file and upload it again.",
    ),
}

# What to do in the sandbox, where the Sandbox page plays the practice's part.
SANDBOX_ADVICE = {
    Kind.SYNC_DOWN: "This is your sandbox: make its sync recover on the Sandbox page.",
}


@dataclass(frozen=True)
class Issue:
    kind: Kind
    subject_id: int  # the sync, request, endpoint or import it is about
    organization_id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    link: tuple[str, dict]  # endpoint and its arguments
    sandbox: bool = False  # the organization's sandbox, where no practice is there to ask

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.subject_id}"

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def what_to_do(self) -> str:
        return SANDBOX_ADVICE.get(self.kind, "") if self.sandbox else KINDS[self.kind][1]


def open_issues(organization: Organization | None, mode: Mode | None) -> list[Issue]:
    """The organization's unsnoozed issues in `mode`, newest first; every organization's
    (and both modes) when `organization` is None (staff)."""
    found = [issue for collect in COLLECTORS for issue in collect(organization, mode)]
    snoozed = _snoozed(organization)
    return sorted(
        (i for i in found if (i.organization_id, i.key) not in snoozed),
        key=lambda issue: issue.first_seen,
        reverse=True,
    )


def snooze(organization: Organization, key: str, period: str, *, actor: User) -> IssueSnooze:
    """Hide the issue `key` until `period` ("1d", "7d") from now. Audited. Raises PortalError
    for an unknown period or an issue the organization does not have."""
    require(actor, Permission.MANAGE_ONBOARDING)
    if period not in SNOOZES:
        raise PortalError("Snooze for a day or for a week.")
    if key not in {i.key for i in open_issues(organization, None)}:
        raise PortalError("This issue is resolved or already snoozed.")
    row = db.session.scalar(
        select(IssueSnooze).where(
            IssueSnooze.organization_id == organization.id, IssueSnooze.issue_key == key
        )
    ) or IssueSnooze(organization_id=organization.id, issue_key=key)
    row.until, row.snoozed_by_id = clock.now() + SNOOZES[period], actor.id
    db.session.add(row)
    audit.record("issue.snoozed", actor=actor, organization=organization, issue=key, until=period)
    commit()
    return row


def _snoozed(organization: Organization | None) -> set[tuple[int, str]]:
    query = select(IssueSnooze.organization_id, IssueSnooze.issue_key).where(
        IssueSnooze.until > clock.now()
    )
    if organization is not None:
        query = query.where(IssueSnooze.organization_id == organization.id)
    return set(db.session.execute(query).tuples())


def _own_syncs(organization: Organization | None, mode: Mode | None):
    query = (
        select(Sync, Enrollment)
        .join(Institution, Institution.id == Sync.institution_id)
        .options(contains_eager(Sync.institution))  # its name, without a query per row
        .join(
            Enrollment,
            and_(
                Enrollment.institution_id == Sync.institution_id,
                Enrollment.organization_id == Sync.created_by_org_id,
            ),
        )
        .where(Enrollment.status != EnrollmentStatus.DEACTIVATED)
    )
    if organization is not None:
        query = query.where(Sync.created_by_org_id == organization.id)
    if mode is not None:
        query = query.where(Institution.mode == mode)
    return query


def _sync_issue(kind, sync, enrollment, first_seen) -> Issue:
    sandbox = enrollment.mode is Mode.SANDBOX and kind in SANDBOX_ADVICE
    return Issue(
        kind=kind,
        subject_id=sync.id,
        organization_id=enrollment.organization_id,
        title=f"{sync.institution.name}",
        first_seen=first_seen,
        last_seen=clock.now(),  # still so as of this read
        link=("portal_sandbox.index", {})
        if sandbox
        else ("portal_institutions.institution", {"enrollment_id": enrollment.id}),
        sandbox=sandbox,
    )


def _sync_issues(organization, mode) -> list[Issue]:
    """Credentials rejected, installs past their service level, failed syncs and syncs down:
    one pass over the organization's syncs (told apart by the sync's stage and method)."""
    now = clock.now()
    cloud = Sync.install_method == InstallMethod.CLOUD
    # Staff sent a cloud sync back for new credentials (with why), or it failed after them.
    refused = (Sync.status == SyncStage.NEEDS_CREDENTIALS) & (Sync.failure_reason != "")
    rejected = cloud & (refused | (Sync.status == SyncStage.FAILED))
    failed = ~cloud & (Sync.status == SyncStage.FAILED)
    late = (Sync.status == SyncStage.INSTALLING) & (Sync.created_at < now - INSTALL_SERVICE_LEVEL)
    down = (Sync.status == SyncStage.ACTIVE) & health.red_clause()
    window = now - health.cutoff()  # how long a sync may stay quiet
    issues = []
    for sync, enrollment in db.session.execute(
        _own_syncs(organization, mode).where(rejected | failed | late | down)
    ):
        if sync.install_method is InstallMethod.CLOUD and sync.status in RETURNED:
            kind, first_seen = Kind.CREDENTIALS_REJECTED, enrollment.status_changed_at
        elif sync.status is SyncStage.FAILED:
            kind, first_seen = Kind.SYNC_FAILED, enrollment.status_changed_at
        elif sync.status is SyncStage.INSTALLING:
            kind, first_seen = Kind.INSTALL_LATE, sync.created_at + INSTALL_SERVICE_LEVEL
        else:
            heard = min(t for t in (sync.last_read_at, sync.last_write_at) if t is not None)
            kind, first_seen = Kind.SYNC_DOWN, heard + window
        issues.append(_sync_issue(kind, sync, enrollment, first_seen))
    return issues


def _consent(organization, mode) -> list[Issue]:
    now = clock.now()
    query = (
        select(AccessRequest, Enrollment)
        .join(Enrollment, Enrollment.id == AccessRequest.enrollment_id)
        .join(Institution, Institution.id == Enrollment.institution_id)
        .options(contains_eager(Enrollment.institution))
        .where(
            (
                (AccessRequest.status == RequestStatus.PENDING)
                & (AccessRequest.expires_at < now + CONSENT_WARNING)
            )
            | (
                (AccessRequest.status == RequestStatus.EXPIRED)
                & (Enrollment.status == EnrollmentStatus.FAILED)
            )
        )
    )
    if organization is not None:
        query = query.where(AccessRequest.organization_id == organization.id)
    if mode is not None:
        query = query.where(Enrollment.mode == mode)
    issues = {}
    for request, enrollment in db.session.execute(query.order_by(AccessRequest.id)):
        expired = request.status == RequestStatus.EXPIRED
        # Only the newest request of an enrollment counts (a new one resolves the old).
        issues[enrollment.id] = Issue(
            kind=Kind.CONSENT_EXPIRED if expired else Kind.CONSENT_EXPIRING,
            subject_id=request.id,
            organization_id=request.organization_id,
            title=enrollment.institution.name,
            first_seen=request.expires_at if expired else request.expires_at - CONSENT_WARNING,
            last_seen=now,
            link=("portal_institutions.institution", {"enrollment_id": enrollment.id}),
        )
    return list(issues.values())


def _webhooks_off(organization, mode) -> list[Issue]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(False), WebhookEndpoint.disabled_at.is_not(None)
    )
    if organization is not None:
        query = query.where(WebhookEndpoint.organization_id == organization.id)
    if mode is not None:
        query = query.where(WebhookEndpoint.mode == mode)
    return [
        Issue(
            kind=Kind.WEBHOOK_OFF,
            subject_id=endpoint.id,
            organization_id=endpoint.organization_id,
            title=endpoint.target_url,
            first_seen=endpoint.disabled_at,
            last_seen=endpoint.disabled_at,
            link=("portal_webhooks.show", {"endpoint_id": endpoint.id}),
        )
        for endpoint in db.session.scalars(query)
    ]


def _import_errors(organization, mode) -> list[Issue]:
    """The newest upload of an organization, when it has row errors or its apply failed (a
    later upload resolves it). Imports are production only."""
    if mode is Mode.SANDBOX:
        return []
    newest = select(ImportBatch.organization_id, db.func.max(ImportBatch.id).label("id"))
    if organization is not None:
        newest = newest.where(ImportBatch.organization_id == organization.id)
    newest = newest.group_by(ImportBatch.organization_id).subquery()
    batches = db.session.scalars(
        select(ImportBatch)
        .options(defer(ImportBatch.content))  # the file itself: up to megabytes, not needed
        .join(newest, newest.c.id == ImportBatch.id)
        .where(ImportBatch.status == ImportStatus.PREVIEWED)
    )
    return [
        Issue(
            kind=Kind.IMPORT_ERRORS,
            subject_id=batch.id,
            organization_id=batch.organization_id,
            title=batch.filename,
            first_seen=batch.created_at,
            last_seen=batch.created_at,
            link=("portal_imports.preview", {"batch_id": batch.id}),
        )
        for batch in batches
        if (batch.summary or {}).get("row_errors") or (batch.summary or {}).get("failed_job_id")
    ]


COLLECTORS = (_sync_issues, _consent, _webhooks_off, _import_errors)
