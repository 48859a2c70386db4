"""Every console page costs a fixed number of SQL statements, whatever the number of its rows:
each list of /portal and /ops at a small page and at a larger one over a grown world, each
view's details page for every row, both Home pages, the Issues pages, the request log and the
Webhooks page with an endpoint's delivery log (no N+1 anywhere)."""

import re
from collections import Counter

from sqlalchemy import event, select

from portal.admin_views.base import OpsModelView
from portal.extensions import db
from portal.models import ApiRequest, WebhookEndpoint
from tests.admin import more_rows
from tests.admin.test_page_words import views

FEW, MANY = 2, 8
# Details pages whose cost differs by one statement from row to row, and why (not rows):
VARIES_BY_ONE = {
    "/ops/users": "a staff user has no organization to load; everyone else has one",
}
TRANSACTION = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
ROW = re.compile(r"<tr[\s>]")


def cost(client, path: str) -> tuple[int, int]:
    """(statements, table rows) of one GET of `path`, which must answer 200."""
    statements = []

    def counted(_conn, _cursor, statement, *_args):
        if not TRANSACTION.match(statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 200, path
    return len(statements), len(ROW.findall(response.get_data(as_text=True)))


def pages(developer, staff) -> dict[str, tuple]:
    """{page: (client, path)} of every list and page with rows."""
    endpoint = db.session.scalar(
        select(WebhookEndpoint.id).where(WebhookEndpoint.target_url.like("https://hooks.%"))
    )
    found = {
        "/portal/ (Home)": (developer, "/portal/"),
        "/ops/ (Queues)": (staff, "/ops/"),
        "/portal/issues/": (developer, "/portal/issues/"),
        "/ops/issues/": (staff, "/ops/issues/"),
        "/portal/requests/": (developer, "/portal/requests/"),
        "/portal/webhooks/": (developer, "/portal/webhooks/"),
        "/portal/webhooks/<endpoint>/ (delivery log)": (
            developer,
            f"/portal/webhooks/{endpoint}/",
        ),
    }
    for view in views():
        client = staff if isinstance(view, OpsModelView) else developer
        base = view.url.rstrip("/")
        found[f"{base}/"] = (client, f"{base}/")
    return found


def costs(developer, staff, monkeypatch, page_size: int) -> dict[str, tuple[int, int]]:
    """(statements, rows) of every page, lists showing `page_size` rows a page (the sizes a
    person can choose are larger than the demo world's lists)."""
    for view in views():
        monkeypatch.setattr(view, "page_size", page_size)
    return {name: cost(*at) for name, at in pages(developer, staff).items()}


def test_every_page_costs_the_same_statements_for_few_rows_or_many(demo_consoles, monkeypatch):
    developer, staff = demo_consoles
    few = costs(developer, staff, monkeypatch, FEW)
    more_rows.add()
    many = costs(developer, staff, monkeypatch, MANY)
    assert {p: (few[p][0], many[p][0]) for p in few if few[p][0] != many[p][0]} == {}
    # Home pages show counts and next steps, no rows: walked for their cost alone.
    rowed = [p for p in few if "Home" not in p and "Queues" not in p]
    thin = {p: (few[p][1], many[p][1]) for p in rowed if many[p][1] - few[p][1] < MANY - FEW}
    assert thin == {}, many  # every page did show more rows the second time


def _detail_paths(view, client) -> list[str]:
    base = view.url.rstrip("/")
    listing = client.get(f"{base}/").get_data(as_text=True)
    ids = set(re.findall(r"details/\?id=(\d+)", listing))
    return [f"{base}/details/?id={i}" for i in sorted(ids, key=int)]


def test_every_details_page_costs_the_same_statements_for_every_row(demo_consoles):
    developer, staff = demo_consoles
    more_rows.add()
    varying, walked = {}, 0
    for view in views():
        client = staff if isinstance(view, OpsModelView) else developer
        paths = _detail_paths(view, client)
        walked += len(paths)
        counts = Counter(cost(client, path)[0] for path in paths)
        if len(counts) > 1:
            varying[view.url] = dict(counts)
    assert set(varying) <= set(VARIES_BY_ONE), varying
    assert all(max(counts) - min(counts) == 1 for counts in varying.values())
    assert walked >= 100


def test_a_request_details_page_costs_the_same_statements_for_every_call(demo_consoles):
    developer, _ = demo_consoles
    more_rows.add()
    calls = db.session.scalars(select(ApiRequest.id)).all()
    assert len({cost(developer, f"/portal/requests/{i}/")[0] for i in calls}) == 1
