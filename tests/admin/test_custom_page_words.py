"""The consoles' own pages (home, issues, an institution, a sync's setup, imports, webhooks,
usage, upgrade...), over the demo world, read as words too: the same checks as the model
pages' walk (`test_page_words`), on every page reached by following links from each view's
start page."""

import html
import re
from urllib.parse import urlsplit

from flask import current_app

from tests.admin.test_page_words import problems, shown_text

LINK = re.compile(r'href="(/(?:portal|ops)/[^"#?]*)"')
# Downloads, lookups and the model views' own pages (their walk is `test_page_words`).
SKIPPED = re.compile(r"\.(csv|json)$|/ajax/|/export/|/(new|edit|details|bulk)/$|/static/")


def start_pages():
    """Each console view's start page, with whether the staff member opens it."""
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            yield view.url.rstrip("/") + "/", admin.url == "/ops"


def model_view_urls() -> set[str]:
    return {
        view.url.rstrip("/") + "/"
        for admin in current_app.extensions["admin"]
        for view in admin._views
        if hasattr(view, "get_query")
    }


def walk(client, start: str, seen: set[str], shown: set[str], limit: int = 60):
    """The pages reachable from `start` by links of its console, each once; the pages in
    `shown` (the model views', walked elsewhere) are read for their links only."""
    console = "/" + start.strip("/").split("/")[0] + "/"
    queue = [start]
    while queue and limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        limit -= 1
        body = response.get_data(as_text=True)
        if path not in shown:
            yield path, body
        for link in LINK.findall(body):
            link = urlsplit(html.unescape(link)).path
            if link.startswith(console) and link not in seen and not SKIPPED.search(link):
                queue.append(link)


def test_no_custom_console_page_shows_a_code_a_class_name_or_a_plural_s(demo_consoles):
    developer, staff = demo_consoles
    seen, shown, found, walked = set(), model_view_urls(), [], 0
    for start, ops in start_pages():
        for path, body in walk(staff if ops else developer, start, seen, shown):
            walked += 1
            text = html.unescape(shown_text(body))
            found += [f"{path}: {p}" for p in problems(text)]
    assert not found, "\n".join(found)
    assert walked >= 40
