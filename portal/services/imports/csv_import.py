"""Bulk onboarding from a CSV: upload, a dry-run preview row by row, then apply in one
transaction or not at all.

Rows whose institution fields are identical are one institution with one sync per row. A
row is planned as a new institution, an additional sync, a match (request access instead
of installing), already onboarded (nothing new), or an error naming its line and column.
Apply (`applying.py`) plans again from the stored file, so the preview can never be stale.
"""

import hashlib

from flask import current_app

from portal.extensions import db
from portal.models import (
    ImportBatch,
    Organization,
    User,
)
from portal.services import (
    Forbidden,
    NotFound,
    audit,
    commit,
    tenancy,
)
from portal.services.imports.csv_files import (
    CellError,
    FileRejected,  # noqa: F401 - entry points catch it from here
    Limits,
    read,
)
from portal.services.imports.import_plan import (  # noqa: F401 - read from here too
    NOTHING_NEW,
    Group,
    Kind,
    Plan,
    Planned,
    classify,
)
from portal.services.imports.import_rows import check_row, group_key

COLUMNS = [
    "institution_name",
    "street_address",
    "street_address_2",
    "city",
    "state",
    "zip_code",
    "phone_number",
    "email",
    "website",
    "contact_name",
    "is_group",
    "ehr",
    "server_name",
]
REQUIRED = {
    "institution_name",
    "street_address",
    "city",
    "state",
    "zip_code",
    "phone_number",
    "ehr",
}
FIRST_ERRORS = 20


def limits() -> Limits:
    config = current_app.config
    return Limits(config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_ROWS"], config["IMPORT_MAX_FIELD"])


def upload(
    organization: Organization, filename: str, content: bytes, *, actor: User | None
) -> ImportBatch:
    """Keep the file server-side as a batch of `organization`, after checking it reads.

    Raises FileRejected (nothing is stored) for a file that cannot be read at all.
    """
    may_import(actor, organization)
    checked = plan(organization, content)  # a whole-file problem raises here, before any write
    batch = ImportBatch(
        organization_id=organization.id,
        # Row errors are counted once here: the issues inbox lists an upload that has them.
        summary={"row_errors": len(checked.errors)},
        user_id=actor.id if actor else None,
        filename=(filename or "upload.csv")[:255],
        content=content,
        content_sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "import.uploaded",
        actor=actor,
        organization=organization,
        target=batch,
        filename=batch.filename,
        size=len(content),
    )
    commit()
    return batch


def get_for(organization: Organization, batch_id: int) -> ImportBatch:
    """A batch of `organization` (another organization's id is simply not found)."""
    return tenancy.get_visible(ImportBatch, organization, batch_id, "No such import.")


def preview(batch: ImportBatch) -> Plan:
    return plan(db.session.get(Organization, batch.organization_id), batch.content)


def plan(organization: Organization, content: bytes) -> Plan:
    """Classify every row against the database as it is now. Raises FileRejected."""
    checked = checked_rows(content)
    classify(organization, checked.groups)
    return checked


def checked_rows(content: bytes) -> Plan:
    """Every row checked and grouped by institution, not yet looked up in the database: a
    row without errors is planned as new until `classify` says otherwise. Raises
    FileRejected."""
    rows = read(content, COLUMNS, REQUIRED, limits())
    planned, groups = [], {}
    seen_syncs: dict[tuple, int] = {}
    cleaned: dict[tuple, tuple] = {}
    for row in rows:
        checked = check_row(row, cleaned)
        if checked.errors:
            planned.append(
                Planned(
                    row.line,
                    Kind.ERROR,
                    row.values.get("institution_name", ""),
                    errors=checked.errors,
                )
            )
            continue
        key = group_key(checked.details)
        sync_key = (key, checked.ehr, checked.server_name.lower())
        if sync_key in seen_syncs:
            error = CellError(
                row.line, "server_name", f"the same sync as line {seen_syncs[sync_key]}."
            )
            planned.append(Planned(row.line, Kind.ERROR, checked.details.name, errors=[error]))
            continue
        seen_syncs[sync_key] = row.line
        group = groups.setdefault(key, Group(checked.details))
        item = Planned(row.line, Kind.NEW, checked.details.name, checked.ehr, checked.server_name)
        group.rows.append((item, checked.ehr, checked.server_name))
        planned.append(item)
    return Plan(planned, list(groups.values()))


def may_import(actor: User | None, organization: Organization) -> None:
    # actor None is the operator at the command line (`flask import-institutions`).
    if actor is not None and not (actor.is_staff or actor.organization_id == organization.id):
        raise NotFound("No such organization.")
    if not organization.production_enabled:
        raise Forbidden("Bulk onboarding opens once your organization is upgraded to production.")
