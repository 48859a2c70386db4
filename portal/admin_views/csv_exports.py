"""CSV downloads that stream row by row and cannot smuggle formulas into a spreadsheet."""

import csv
from collections.abc import Iterable

from flask import Response, stream_with_context
from werkzeug.utils import secure_filename

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    """The text of one cell; text that a spreadsheet would evaluate is prefixed with `'`."""
    text = "" if value is None else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def response(rows: Iterable[list], filename: str) -> Response:
    """A streamed text/csv attachment; `rows` is consumed lazily, in the request context."""
    writer = csv.writer(_Echo())
    return Response(
        stream_with_context(writer.writerow(row) for row in rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={secure_filename(filename)}"},
    )
