"""Reading an uploaded CSV safely: encoding, size limits, headers, hostile cells.

Whole-file problems (not UTF-8, too big, bad headers) reject the file with one message;
cell problems become row errors naming the line and the column. Nothing here raises
anything but `FileRejected`.
"""

import csv
import io
from dataclasses import dataclass, field
from itertools import repeat

from portal.services import PortalError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileRejected(PortalError):
    pass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_rows: int = 10_000
    max_field: int = 500


@dataclass
class CellError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Row:
    line: int  # the file's line number where the row starts (the header is line 1)
    values: dict[str, str]
    errors: list[CellError] = field(default_factory=list)


def decode(content: bytes, limits: Limits) -> str:
    """UTF-8 text, with or without a byte-order mark. Raises FileRejected otherwise."""
    if len(content) > limits.max_bytes:
        raise FileRejected(f"The file is larger than {limits.max_bytes // (1024 * 1024)} MB.")
    if not content.strip():
        raise FileRejected("The file is empty.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"The file is not UTF-8 (byte {error.start + 1} cannot be read). Save it as "
            "'CSV UTF-8' in your spreadsheet program and upload it again."
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileRejected(f"The file contains a NUL byte on line {line}; it is not a text CSV.")
    return text


def read(content: bytes, columns: list[str], required: set[str], limits: Limits) -> list[Row]:
    """Rows of `content` as dicts over `columns`. Raises FileRejected for whole-file problems."""
    reader = csv.reader(io.StringIO(decode(content, limits), newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise FileRejected(f"The header line cannot be read: {error}") from None
    names = _check_header([h.strip().lower() for h in header], columns, required)
    rows: list[Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= limits.max_rows:
                raise FileRejected(f"The file has more than {limits.max_rows:,} rows; split it.")
            rows.append(_row(reader.line_num - _extra_lines(values), names, values, limits))
    except csv.Error as error:
        raise FileRejected(f"Line {reader.line_num}: the CSV is malformed ({error}).") from None
    if not rows:
        raise FileRejected("The file has a header but no rows.")
    return rows


def _check_header(names: list[str], columns: list[str], required: set[str]) -> list[str]:
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise FileRejected(
            f"Unknown {_columns(unknown)}: {', '.join(f'“{n}”' for n in unknown)}. "
            f"The columns are: {', '.join(columns)}."
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        named = _columns(duplicated).capitalize()
        raise FileRejected(f"{named} given twice: {', '.join(duplicated)}.")
    missing = sorted(required - set(names))
    if missing:
        raise FileRejected(f"Missing {_columns(missing)}: {', '.join(missing)}.")
    return names


def _columns(names: list[str]) -> str:
    return "column" if len(names) == 1 else "columns"


def _row(line: int, names: list[str], values: list[str], limits: Limits) -> Row:
    row = Row(line, dict.fromkeys(names, ""))
    if len(values) > len(names):
        row.errors.append(CellError(line, "", f"{len(values)} cells for {len(names)} columns."))
    joined, longest = "".join(values), max(map(len, values), default=0)
    if "\n" not in joined and "\r" not in joined and longest <= limits.max_field:
        # Nearly every row: every cell fits, so each is only trimmed (and un-neutralised
        # where it may have been), in one pass over the row rather than cell by cell.
        cells = map(str.strip, values)
        if "'" in joined:
            cells = map(unneutralise, cells)
        row.values.update(zip(names, cells, strict=False))  # a cell too many: an error above
        return row
    for name, value in zip(names, values, strict=False):
        if len(value) > limits.max_field:
            row.errors.append(CellError(line, name, f"longer than {limits.max_field} characters."))
            continue
        if "\n" in value or "\r" in value:
            row.errors.append(CellError(line, name, "line breaks are not allowed here."))
            continue
        row.values[name] = unneutralise(value.strip())
    return row


def unneutralise(value: str) -> str:
    """Undo the `'` our exports put before formula-like text, so a round trip is lossless."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _extra_lines(values: list[str]) -> int:
    return sum(map(str.count, values, repeat("\n")))
