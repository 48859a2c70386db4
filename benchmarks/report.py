"""The results table, as aligned text for the terminal and as Markdown for BENCHMARKS.md.
`python -m benchmarks.report [--scale small|full] [--markdown]` prints the saved results of
every database side by side, scenario by scenario."""

import argparse
import dataclasses
import json
from pathlib import Path

from benchmarks.harness import Result

HEADERS = [
    "scenario",
    "database",
    "ours",
    "stock Flask-Admin",
    "raw SQL",
    "ours/stock",
    "ours/SQL",
    "budget",
    "result",
    "note",
]


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:,.0f} {unit}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _budget(result: Result) -> str:
    if result.budget is None:
        return "flat" if result.unit == "MB" else "-"
    sign = "<=" if result.lower_is_better else ">="
    return f"{sign} {_value(result.budget, result.unit)}"


def rows(results: list[Result]) -> list[list[str]]:
    return [
        [
            r.scenario,
            r.database,
            _value(r.ours, r.unit),
            _value(r.stock, r.unit),
            _value(r.raw, r.unit),
            _ratio(r.ours, r.stock),
            _ratio(r.ours, r.raw),
            _budget(r),
            r.verdict(),
            r.note,
        ]
        for r in results
    ]


def text(results: list[Result]) -> str:
    table = [HEADERS, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(results: list[Result]) -> str:
    table = [HEADERS, ["---"] * len(HEADERS), *rows(results)]
    return "\n".join("| " + " | ".join(row) + " |" for row in table)


def misses(results: list[Result]) -> list[Result]:
    return [r for r in results if r.verdict() == "MISS"]


def save(results: list[Result], folder: Path, database: str, scale: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"results-{database.lower()}-{scale}.json"
    path.write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=1))
    return path


def load(folder: Path, scale: str) -> list[Result]:
    """Saved results of every database, each scenario's rows together, in run order."""
    runs = [
        [Result(**row) for row in json.loads(path.read_text())]
        for path in sorted(folder.glob(f"results-*-{scale}.json"), reverse=True)
    ]
    order = {r.scenario: i for run in runs for i, r in reversed(list(enumerate(run)))}
    merged = [r for run in runs for r in run]
    return sorted(merged, key=lambda r: order[r.scenario])


def main(argv: list[str] | None = None) -> None:
    from benchmarks.database import BENCH_DIR

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="full")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    results = load(BENCH_DIR, args.scale)
    print(markdown(results) if args.markdown else text(results))
    for miss in misses(results):
        print(f"MISS: {miss.scenario} on {miss.database}: {miss.note}")


if __name__ == "__main__":
    main()
