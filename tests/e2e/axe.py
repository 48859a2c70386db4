"""axe-core (the npm package pinned in package.json, installed by `make`) run inside a page."""

import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def source() -> str:
    if not SCRIPT.exists():
        raise FileNotFoundError(f"{SCRIPT} is missing: run `make test` (it runs `npm ci`)")
    return SCRIPT.read_text()


def version() -> str:
    return json.loads((SCRIPT.parent / "package.json").read_text())["version"]


def violations(page, tags=WCAG21_AA, rules: list[str] | None = None) -> list[dict]:
    """The WCAG 2.1 A/AA violations on the page as shown now (or only `rules`)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source())
    options = (
        {"runOnly": {"type": "rule", "values": rules}}
        if rules
        else {"runOnly": {"type": "tag", "values": list(tags)}}
    )
    result = page.evaluate("options => axe.run(document, options)", options)
    return result["violations"]


def describe(found: list[dict]) -> str:
    """One line per failing element: rule, impact, selector and what axe says to fix."""
    lines = []
    for violation in found:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"{violation['id']} ({violation['impact']}) {target}: {summary[:300]}")
    return "\n".join(lines)
