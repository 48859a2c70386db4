"""The results table, as aligned text for the terminal and as Markdown for BENCHMARKS.md."""

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
