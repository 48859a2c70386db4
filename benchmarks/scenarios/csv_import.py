"""CSV import of 10,000 rows, preview and apply (rows/s; budget 5,000). Issue 7 builds
`portal.services.csv_import`; until that module exists there is nothing honest to time, so
the row says "not measured". When it lands, this function generates a 10,000-row file
(institutions of `benchmarks.practices`, new names) and times preview, then apply."""

import importlib.util

from benchmarks.context import Bench

IMPORT_BUDGET_ROWS_PER_S = 5_000


def import_rows(bench: Bench) -> None:
    missing = importlib.util.find_spec("portal.services.csv_import") is None
    bench.result(
        "CSV import, 10,000 rows (preview + apply)",
        "rows/s",
        None,
        budget=IMPORT_BUDGET_ROWS_PER_S,
        note="portal/services/csv_import.py (issue 7) does not exist yet"
        if missing
        else "csv_import.py has landed: the scenario is still to be written here",
    )
