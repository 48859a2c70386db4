"""The new institutions of an import written set by set: per round of institutions, one
statement each for the institutions, their enrollments, their syncs and the audit rows
(`bulk.Copies`: on PostgreSQL a COPY, sent while the next round is built), in the caller's
transaction.

The rows are the ones `institutions.add` and `setup.add_sync` write for the same input,
audit rows included and in the same order: the institution, then per sync its creation and
the step its enrollment takes (`enrollments.following`, the table the services use). A new
enrollment has access and no other syncs, so add_sync's checks reduce to one: an on-premise
server appears once per institution.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from portal import catalogue, clock
from portal.models import (
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    InstallMethod,
    Institution,
    Mode,
    Organization,
    Sync,
    User,
)
from portal.services import Conflict, audit, bulk
from portal.services.imports.import_rows import DETAIL_FIELDS
from portal.services.onboarding import enrollments
from portal.services.syncs import keys, lifecycle


@dataclass
class _Practice:
    """One new institution as it is written: its row, its syncs and its enrollment's steps."""

    institution: dict
    syncs: list[dict] = field(default_factory=list)
    steps: list[tuple[str, EnrollmentStatus, EnrollmentStatus] | None] = field(
        default_factory=list
    )  # per sync: (operation, before, after) or None
    status: EnrollmentStatus = EnrollmentStatus.NEEDS_SYNC
    ids: dict = field(default_factory=dict)


@contextmanager
def writing(*, organization: Organization, actor: User | None, report):
    """`write(new)` for the block: writes each (details, subdomain, [(ehr, server_name), ...],
    (name_key, street_key, phone_digits)) of `new` as a new institution with its enrollment
    and syncs, one set of statements per call, and returns each one's sync ids. Every call
    goes through one `bulk.Copies`. `report(rows)` follows progress.
    Raises Conflict (the transaction must roll back) as add_sync would."""
    shared = audit.values("", actor=actor, organization=organization)  # who, where from
    with bulk.Copies(written=report) as copies:

        def write(new: list[tuple]) -> list[list[int]]:
            part = [_practice(*item) for item in new]
            if part:
                _write(copies, part, organization.id, shared)
            return [practice.ids["syncs"] for practice in part]

        yield write


def _practice(details, subdomain: str, syncs: list[tuple[str, str]], keys: tuple) -> _Practice:
    row = {name: getattr(details, name) for name in DETAIL_FIELDS}
    practice = _Practice(row | {"subdomain": subdomain, "mode": Mode.PRODUCTION})
    practice.institution.update(zip(("name_key", "street_key", "phone_digits"), keys, strict=True))
    servers = set()
    for ehr, server in syncs:
        system = catalogue.get(ehr)
        server_name = server.strip()[:120] if system.on_prem else ""
        if system.on_prem and server_name.lower() in servers:
            raise Conflict(f"This institution already has a sync on server {server_name}.")
        servers.add(server_name.lower())
        practice.syncs.append(_sync_row(system, server_name))
        operation = enrollments.following(practice.status, practice.syncs[-1]["status"])
        if operation is None:
            practice.steps.append(None)
            continue
        after = enrollments.TRANSITIONS[operation].to
        practice.steps.append((operation, practice.status, after))
        practice.status = after
    return practice


def _sync_row(system: catalogue.System, server_name: str) -> dict:
    row = {
        "ehr": system.code,
        "install_method": system.install,
        "server_name": server_name,
        "status": lifecycle.INITIAL_STAGE[system.install],
        "product_key_digest": None,
        "product_key_encrypted": None,
        "agent_token_digest": None,
        "activated_at": None,
        "extension_token_encrypted": None,
    }
    if system.install is InstallMethod.SELF_INSTALLER:
        row.update(keys.fresh_product_key())
    if system.install is InstallMethod.CLOUD:
        row["extension_token_encrypted"] = keys.fresh_extension_token()
    return row


def _write(copies: bulk.Copies, part: list[_Practice], organization_id: int, shared: dict):
    """The round's rows, given to `copies` table by table; nothing is read from the session
    meanwhile (its connection is the sender's). `shared` is the audit rows' who and where."""
    now = clock.now()
    ids = copies.insert_new(Institution.__table__, [practice.institution for practice in part])
    enrollment_rows = []
    for practice, institution_id in zip(part, ids, strict=True):
        practice.ids["institution"] = institution_id
        enrollment_rows.append(
            {
                "organization_id": organization_id,
                "institution_id": institution_id,
                "mode": Mode.PRODUCTION,
                "status": practice.status,
                "status_reason": "",
                "status_changed_at": now,
            }
        )
    enrollment_ids = copies.insert_new(Enrollment.__table__, enrollment_rows)
    for practice, enrollment_id in zip(part, enrollment_ids, strict=True):
        practice.ids["enrollment"] = enrollment_id
    sync_rows = [
        sync | {"institution_id": practice.ids["institution"], "created_by_org_id": organization_id}
        for practice in part
        for sync in practice.syncs
    ]
    created = iter(copies.insert_new(Sync.__table__, sync_rows))
    for practice in part:
        practice.ids["syncs"] = [next(created) for _ in practice.syncs]
    done = sum(len(practice.syncs) for practice in part)
    copies.insert(AuditEvent.__table__, _audit_rows(part, shared), done=done)


def _audit_rows(part: list[_Practice], shared: dict) -> list[dict]:
    def row(action, target, **details):  # details are plain strings already
        return shared | {"action": action, "target_type": target[0], "target_id": target[1],
                         "details": details}  # fmt: skip

    rows = []
    for practice in part:
        institution, ids = practice.institution, practice.ids
        rows.append(
            row("institution.created", ("Institution", str(ids["institution"])),
                name=institution["name"], subdomain=institution["subdomain"])
        )  # fmt: skip
        for sync, sync_id, step in zip(practice.syncs, ids["syncs"], practice.steps, strict=True):
            rows.append(
                row("sync.created", ("Sync", str(sync_id)),
                    ehr=sync["ehr"], server_name=sync["server_name"])
            )  # fmt: skip
            if step is not None:
                operation, before, after = step
                rows.append(
                    row(f"enrollment.{operation}", ("Enrollment", str(ids["enrollment"])),
                        before=before.value, after=after.value, reason="")
                )  # fmt: skip
    return rows
