"""One CSV row of the bulk upload, checked: institution details, system and server."""

from dataclasses import dataclass, field, fields

from portal import catalogue, inputs
from portal.services.imports.csv_files import CellError, Row
from portal.services.onboarding import institutions

TRUE, FALSE = {"yes", "y", "true", "1", "x"}, {"", "no", "n", "false", "0"}
# Details field -> CSV column, where the names differ.
COLUMN_OF = {"name": "institution_name"}


@dataclass
class Checked:
    details: institutions.Details | None
    ehr: str = ""
    server_name: str = ""
    errors: list[CellError] = field(default_factory=list)


def check_row(row: Row) -> Checked:
    """The row's cleaned details, or every error it has (with line and column)."""
    values, errors = row.values, list(row.errors)
    is_group = values.get("is_group", "").lower()
    if is_group not in TRUE | FALSE:
        errors.append(CellError(row.line, "is_group", "use yes or no."))
    details = institutions.Details(
        name=values.get("institution_name", ""),
        **{
            f.name: values.get(f.name, "")
            for f in fields(institutions.Details)
            if f.name not in ("name", "is_group")
        },
        is_group=is_group in TRUE,
    )
    try:
        details = institutions.clean(details)
    except institutions.InvalidDetails as invalid:
        errors += [CellError(row.line, COLUMN_OF.get(k, k), m) for k, m in invalid.errors.items()]
    ehr, server = values.get("ehr", "").strip().lower(), values.get("server_name", "")
    system = catalogue.get(ehr)
    if system is None:
        errors.append(
            CellError(
                row.line,
                "ehr",
                f"unknown system {ehr!r}; use one of " + ", ".join(catalogue.SYSTEMS) + ".",
            )
        )
    elif system.on_prem and not server:
        errors.append(CellError(row.line, "server_name", f"{system.name} needs the server name."))
    if not inputs.one_line(server):
        errors.append(CellError(row.line, "server_name", "use one line, without line breaks."))
    if errors:
        return Checked(None, errors=_unique(errors))
    return Checked(details, system.code, server if system.on_prem else "")


def group_key(details: institutions.Details) -> tuple:
    """Rows with the same cleaned institution fields are one institution."""
    return tuple(getattr(details, f.name) for f in fields(details))


def _unique(errors: list[CellError]) -> list[CellError]:
    seen, out = set(), []
    for error in errors:
        if (error.column, error.message) not in seen:
            seen.add((error.column, error.message))
            out.append(error)
    return out
