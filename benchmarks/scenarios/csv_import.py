"""CSV import of 10,000 rows (the scale's `import_rows`) through
`portal.services.imports.csv_import`, as `flask import-institutions` runs it (no user):
preview rows/s (the dry-run plan, median of a few), then apply rows/s (one transaction,
once). Budget 5,000 rows/s each.

The file is new practices for the last organization (so organization 1's pages keep their
size): 80% new institutions, every fifth row a second on-premise server of the row before,
named with the time of the run so that a rerun on the same database plans new rows again."""

import csv
import io
import random
import time

from benchmarks import practices
from benchmarks.context import Bench
from benchmarks.harness import median_ms
from portal.extensions import db
from portal.models import Organization
from portal.services.imports import applying, csv_import

IMPORT_BUDGET_ROWS_PER_S = 5_000


def _content(nonce: str, rows: int) -> bytes:
    rng = random.Random(nonce)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_import.COLUMNS)
    values = {}
    for i in range(rows):
        if i % 5 != 4:  # a new institution; else the same one with a second server
            city, state = rng.choice(practices.CITIES)
            values = {
                "institution_name": f"{rng.choice(practices.WORDS)} {rng.choice(practices.KINDS)}"
                f" {nonce}-{i}",
                "street_address": f"{rng.randrange(1, 9999)} {rng.choice(practices.STREETS)}",
                "city": city,
                "state": state,
                "zip_code": f"{rng.randrange(10000, 99999)}",
                "phone_number": f"(555) {rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
                "email": f"office{i}@import.example",
                "is_group": "no",
                "ehr": "dentrix",
                "server_name": "FRONT",
            }
        else:
            values = values | {"server_name": "BACK"}
        writer.writerow([values.get(column, "") for column in csv_import.COLUMNS])
    return buffer.getvalue().encode()


def import_rows(bench: Bench) -> None:
    rows = bench.scale.import_rows
    content = _content(time.strftime("%H%M%S"), rows)
    with bench.app.app_context():
        organization = db.session.get(Organization, bench.scale.organizations)
        batch = csv_import.upload(organization, "bench.csv", content, actor=None)
        planned = csv_import.preview(batch)
        assert not planned.errors, planned.errors[:3]
        preview_ms = median_ms(lambda: csv_import.preview(batch), max(1, bench.runs // 3), 0)
        started = time.perf_counter()
        summary = applying.apply(batch, actor=None)
        apply_s = time.perf_counter() - started
    counts = ", ".join(f"{n:,} {kind}" for kind, n in summary["counts"].items() if n)
    bench.result(
        f"CSV import, {rows:,} rows: preview",
        "rows/s",
        rows / (preview_ms / 1000),
        budget=IMPORT_BUDGET_ROWS_PER_S,
        note=counts,
    )
    bench.result(
        f"CSV import, {rows:,} rows: apply",
        "rows/s",
        rows / apply_s,
        budget=IMPORT_BUDGET_ROWS_PER_S,
        note=f"{len(summary['sync_ids']):,} syncs, one transaction",
    )
