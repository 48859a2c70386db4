"""Run the scenarios on the generated database and print the table:
`python -m benchmarks.run [--scale tiny|small|full] [--database-url URL] [--runs N]
[--only NAME ...] [--strict]`.

Every figure in one table comes from the same run on the same data. Page times are medians
of N requests through the real app (test client, no network); the load scenarios use
gunicorn with 2 workers on loopback. Results are also written as Markdown to
`.bench/results-<database>-<scale>.json`. With `--strict` the exit status is 1 when a
scenario failed.
"""

import argparse
import sys
import time
import traceback

from benchmarks import database, report
from benchmarks.context import open_bench
from benchmarks.scenarios import ALL
from benchmarks.sizes import SCALES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--database-url", help="default: BENCH_DATABASE_URL, else .bench/*.db")
    parser.add_argument("--runs", type=int, default=7, help="requests per median")
    parser.add_argument("--only", nargs="*", choices=ALL, help="run only these scenarios")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a scenario failed")
    args = parser.parse_args(argv)
    url = database.url_for(args.scale, args.database_url)
    bench = open_bench(url, SCALES[args.scale], args.runs)
    print(f"run: {args.scale} scale on {bench.database}, median of {args.runs}")
    failed = []
    for name in args.only or ALL:
        started, before = time.perf_counter(), len(bench.results)
        try:
            ALL[name](bench)
        except Exception:  # one broken scenario (a page still being built) must not hide the rest
            traceback.print_exc()
            failed.append(name)
            bench.result(name, "ms", None, note="failed: see the traceback above")
        for result in bench.results[before:]:
            result.group = name
        print(f"  {name}: {time.perf_counter() - started:.0f} s")
    print()
    print(report.text(bench.results))
    out = report.save(bench.results, database.BENCH_DIR, bench.database, args.scale)
    print(f"\n(also in {out}; `python -m benchmarks.report` prints every database's together)")
    if args.strict and failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
