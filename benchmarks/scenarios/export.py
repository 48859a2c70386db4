"""CSV export of a big ops list: the audit log filtered to one action that is exactly a tenth
of the rows (100,000 at full scale). Rate is rows per second of a fully read download;
memory is tracemalloc's peak while the download is read, at 1% and at 10% of the table:
flat memory means the bigger export does not need more."""

import statistics
import time
import tracemalloc

from benchmarks import audit_rows, stock
from benchmarks.context import Bench
from benchmarks.harness import captured, replay
from portal.services import read_ahead

EXPORT_BUDGET_ROWS_PER_S = 50_000
FLAT_GROWTH = 1.5  # peak at 10x the rows may be at most 1.5x the peak (plus 2 MB slack)


def _download(client, url: str) -> int:
    """Read a streamed CSV to the end; returns its data rows."""
    response = client.get(url, buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    lines = sum(chunk.count(b"\n") for chunk in response.iter_encoded())
    response.close()
    return lines - 1


def _rate(call, runs: int) -> tuple[float, int]:
    call()  # warm-up
    times, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = call()
        times.append(time.perf_counter() - started)
    return rows / statistics.median(times), rows


def _peak_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def audit_export(bench: Bench) -> None:
    arg = bench.filter_arg("ops_audit_events", "action", "equals")
    stock_arg = bench.filter_arg("stock_audit", "action", "equals")

    export = bench.path("ops_audit_events.export", export_type="csv")

    def ours(action):
        return lambda: _download(bench.ops, f"{export}?{arg}={action}")

    def baseline(action):
        return lambda: _download(
            bench.ops, f"{stock.URL}/stock_audit/export/csv/?{stock_arg}={action}"
        )

    big, small = audit_rows.TENTH_ACTION, audit_rows.HUNDREDTH_ACTION
    runs = max(3, bench.runs // 2)
    with bench.app.app_context():
        ours_rate, rows = _rate(ours(big), runs)
        stock_rate, _ = _rate(baseline(big), runs)
        with captured(bench.engine, read_ahead.engine()) as statements:
            ours(big)()
        raw_rate, raw_rows = _rate(replay(bench.engine, statements), runs)
        if raw_rows < rows:  # a statement run where `captured` did not look
            raise RuntimeError(f"the raw SQL read {raw_rows:,} rows of the export's {rows:,}")
        peaks = {
            name: (_peak_mb(f(small)), _peak_mb(f(big)))
            for name, f in (("ours", ours), ("stock", baseline))
        }
    bench.result(
        f"CSV export, ops audit log ({rows:,} rows)",
        "rows/s",
        ours_rate,
        stock=stock_rate,
        raw=raw_rate,
        budget=EXPORT_BUDGET_ROWS_PER_S,
    )
    small_peak, big_peak = peaks["ours"]
    bench.result(
        f"CSV export peak memory ({rows // 10:,} -> {rows:,} rows)",
        "MB",
        big_peak,
        stock=peaks["stock"][1],
        note=f"ours {small_peak:.1f} -> {big_peak:.1f} MB, "
        f"stock {peaks['stock'][0]:.1f} -> {peaks['stock'][1]:.1f} MB",
        passed=big_peak <= small_peak * FLAT_GROWTH + 2,
    )
