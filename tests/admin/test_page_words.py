"""Every list, details, bulk review and export page of both consoles, over the demo world,
reads as words: no `<Location 4>` reprs, no raw enum codes (`self_installer`,
`SELF_INSTALLER`), no model class names (`WebhookSubscription`), no "row(s)" plurals, no
ISO timestamps and no JSON on a page."""

import csv
import html
import io
import re
from html.parser import HTMLParser

import pytest
from flask import current_app

from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkActionsMixin
from portal.extensions import db
from portal.statuses import ENUMS

REPR = re.compile(r"<[A-Z][A-Za-z]+ \d+>")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
JSON = re.compile(r"""[{\[]\s*["']""")
CODES = sorted(
    {m.value for e in ENUMS for m in e if "_" in m.value} | {m.name for e in ENUMS for m in e}
)
CODE = re.compile(r"(?<![\w/=.-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w/=.-])")
# Model classes named in CamelCase (`ApiKey`, `ImportBatch`): a one-word name (`Sync`) is
# also the word people read.
CLASSES = sorted(
    name
    for name in (mapper.class_.__name__ for mapper in db.Model.registry.mappers)
    if sum(c.isupper() for c in name) >= 2
)
CLASS = re.compile(r"\b(" + "|".join(CLASSES) + r")\b")
PLURAL = re.compile(r"\w+\(s\)")
SNAKE = re.compile(r"(?<![\w/=.@-])[a-z]+(?:_[a-z]+)+(?![\w/=.@-])")  # `db_unreachable`
COUNT = re.compile(r"\b\d+\.0 [a-z]+")  # "30.0 minutes": a float where a count reads


class _Text(HTMLParser):
    """The text a person reads: outside scripts, styles and hidden elements (Flask-Admin keeps
    its filter definitions as JSON in a `d-none` element), and outside code samples (`pre`,
    `code`: an API example shows JSON and field names on purpose)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.stack, self.hidden_at = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append(tag)
        style = (dict(attrs).get("style") or "").replace(" ", "")
        classes = (dict(attrs).get("class") or "").split()
        hidden = tag in ("script", "style", "template", "pre", "code") or "display:none" in style
        hidden = hidden or "d-none" in classes
        if self.hidden_at is None and (hidden or "hidden" in dict(attrs)):
            self.hidden_at = len(self.stack)

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack and self.stack.pop() != tag:
            pass
        if self.hidden_at is not None and len(self.stack) < self.hidden_at:
            self.hidden_at = None

    def handle_data(self, data):
        if self.hidden_at is None:
            self.parts.append(data)


def shown_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.parts)


def problems(text: str, *, exported: bool = False) -> list[str]:
    found = [f"repr {m}" for m in REPR.findall(text)]
    found += [f"code {m}" for m in CODE.findall(text)]
    found += [f"class name {m}" for m in CLASS.findall(text)]
    found += [f"plural {m}" for m in PLURAL.findall(text)]
    found += [f"snake {m}" for m in SNAKE.findall(text)]
    found += [f"float count {m}" for m in COUNT.findall(text)]
    if not exported:
        found += [f"ISO time {m}" for m in ISO.findall(text)]
        found += [f"JSON {m}" for m in JSON.findall(text)]
    return found


def views():
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if hasattr(view, "get_query"):
                yield view


def _pages(view, client):
    base = view.url.rstrip("/")
    listing = client.get(f"{base}/").get_data(as_text=True)
    yield f"{base}/", listing, False
    ids = re.findall(r'name="rowid" value="(\d+)"', listing) or re.findall(
        r"details/\?id=(\d+)", listing
    )
    for row_id in ids if view.can_view_details else []:  # every row of the first page
        path = f"{base}/details/?id={row_id}"
        yield path, client.get(path).get_data(as_text=True), False
    if ids and isinstance(view, BulkActionsMixin):
        for name, bulk in view.bulk_actions.items():
            if bulk.selected:
                path = f"{base}/bulk/?action={name}&" + "&".join(f"id={i}" for i in ids)
                yield path, client.get(path).get_data(as_text=True), False
    if view.can_export:
        path = f"{base}/export/csv/"
        yield path, client.get(path).get_data(as_text=True), True


def test_no_console_page_shows_a_repr_an_enum_code_an_iso_time_or_json(demo_consoles):
    developer, staff = demo_consoles
    found, walked = [], 0
    for view in views():
        client = staff if isinstance(view, OpsModelView) else developer
        for path, body, exported in _pages(view, client):
            walked += 1
            if exported:
                cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
                text = " | ".join(cells)
            else:
                text = html.unescape(shown_text(body))
            found += [f"{path}: {p}" for p in problems(text, exported=exported)]
    assert not found, "\n".join(found)
    assert walked >= 150


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("Locations: <Location 4>", "repr"),
        ("Install: self_installer", "code"),
        ("Install: SELF_INSTALLER", "code"),
        ("Record: WebhookSubscription", "class name"),
        ("Import 4 row(s)", "plural"),
        ("Read within the last 30.0 minutes", "float count"),
        ("Sent 2026-12-03T10:00:00+00:00", "ISO time"),
        ('Details {"before": "x"}', "JSON"),
    ],
)
def test_the_walk_notices_each_kind_of_leftover(text, complaint):
    assert problems(text)[0].startswith(complaint)
    assert problems("Waiting for credentials · Self-installer · 3 Dec, 10:00 EST") == []
