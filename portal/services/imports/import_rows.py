"""One CSV row of the bulk upload, checked: institution details, system and server."""

from dataclasses import dataclass, field, fields
from itertools import repeat
from operator import attrgetter

from portal import catalogue, inputs
from portal.services.imports.csv_files import CellError, Row
from portal.services.onboarding import institutions

TRUE, FALSE = {"yes", "y", "true", "1", "x"}, {"", "no", "n", "false", "0"}
YES_OR_NO = TRUE | FALSE
# Details field -> CSV column, where the names differ.
COLUMN_OF = {"name": "institution_name"}


@dataclass
class Checked:
    details: institutions.Details | None
    ehr: str = ""
    server_name: str = ""
    errors: list[CellError] = field(default_factory=list)


DETAIL_FIELDS = tuple(f.name for f in fields(institutions.Details))
OTHER_FIELDS = tuple(name for name in DETAIL_FIELDS if name not in ("name", "is_group"))
_DETAILS_OF = attrgetter(*DETAIL_FIELDS)  # the fields' values as one tuple
GIVEN_COLUMNS = ("institution_name", *OTHER_FIELDS)  # the key of a row's details, in order


def check_row(row: Row, cleaned: dict | None = None) -> Checked:
    """The row's cleaned details, or every error it has (with line and column). `cleaned`
    remembers the outcome per set of details across the rows of one file (rows of one
    institution repeat them)."""
    values, errors = row.values, list(row.errors)
    is_group = values.get("is_group", "").lower()
    if is_group not in YES_OR_NO:
        errors.append(CellError(row.line, "is_group", "use yes or no."))
    key = (*map(values.get, GIVEN_COLUMNS, repeat("")), is_group in TRUE)
    cleaned = {} if cleaned is None else cleaned
    if key not in cleaned:
        cleaned[key] = _clean(key)
    details, problems = cleaned[key]
    errors += [CellError(row.line, COLUMN_OF.get(k, k), m) for k, m in problems.items()]
    ehr, server = values.get("ehr", "").strip().lower(), values.get("server_name", "")
    system = catalogue.get(ehr)
    if system is None:
        problem = f"unknown system “{ehr}”" if ehr else "enter the health record system"
        choices = ", ".join(catalogue.SYSTEMS)
        errors.append(CellError(row.line, "ehr", f"{problem}; use one of {choices}."))
    elif system.on_prem and not server:
        errors.append(CellError(row.line, "server_name", f"{system.name} needs the server name."))
    if not inputs.one_line(server):
        errors.append(CellError(row.line, "server_name", "use one line, without line breaks."))
    if errors:
        return Checked(None, errors=_unique(errors))
    return Checked(details, system.code, server if system.on_prem else "")


def _clean(key: tuple) -> tuple[institutions.Details | None, dict[str, str]]:
    name, *others, is_group = key
    details = institutions.Details(name, **dict(zip(OTHER_FIELDS, others, strict=True)),
                                   is_group=is_group)  # fmt: skip
    try:
        return institutions.clean(details), {}
    except institutions.InvalidDetails as invalid:
        return None, invalid.errors


def group_key(details: institutions.Details) -> tuple:
    """Rows with the same cleaned institution fields are one institution."""
    return _DETAILS_OF(details)


def _unique(errors: list[CellError]) -> list[CellError]:
    seen, out = set(), []
    for error in errors:
        if (error.column, error.message) not in seen:
            seen.add((error.column, error.message))
            out.append(error)
    return out
