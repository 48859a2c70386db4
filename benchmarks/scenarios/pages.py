"""List pages: ours through the real app, the stock Flask-Admin view over the same table, and
the SQL our page sent, replayed alone (the floor). Each request must answer 200."""

from urllib.parse import urlencode

from flask.testing import FlaskClient

from benchmarks import stock
from benchmarks.context import Bench
from benchmarks.harness import floor_ms, median_ms
from portal.models import TABS, EnrollmentStatus

LIST_BUDGET_MS = 150
SEARCH_WORD = "Maple"  # one of the generated name words: about 1 name in 16


def _get(client: FlaskClient, url: str):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


def page(bench: Bench, scenario: str, client: FlaskClient, ours: str, baseline: str | None):
    """Time one of our pages, its stock counterpart and its own SQL."""
    with bench.app.app_context():
        ours_ms = median_ms(_get(client, ours), bench.runs)
        raw_ms, statements = floor_ms(bench.engine, _get(client, ours), bench.runs)
    stock_ms = median_ms(_get(client, baseline), bench.runs) if baseline else None
    return bench.result(
        scenario,
        "ms",
        ours_ms,
        stock=stock_ms,
        raw=raw_ms,
        budget=LIST_BUDGET_MS,
        note=f"{statements} SQL statements",
    )


def _url(base: str, **params) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def institutions(bench: Bench) -> None:
    """The Institutions page of the organization with 50,000 enrollments."""
    ours, base = bench.path("portal_institutions"), f"{stock.URL}/stock_enrollments/"
    status_arg = bench.filter_arg("stock_enrollments", "status", "equals")
    in_list = bench.filter_arg("stock_enrollments", "status", "in list")
    page(bench, "Institutions: first page (ALL)", bench.portal, ours, base)
    for tab, statuses in TABS.items():
        wanted = ",".join(s.name for s in statuses)  # Flask-Admin enum filters take names
        page(
            bench,
            f"Institutions: {tab} tab",
            bench.portal,
            _url(ours, tab=tab),
            _url(base, **{in_list: wanted}),
        )
    page(
        bench,
        f"Institutions: name search '{SEARCH_WORD}'",
        bench.portal,
        _url(ours, search=SEARCH_WORD),
        _url(base, search=SEARCH_WORD),
    )
    failed = EnrollmentStatus.FAILED.value
    page(
        bench,
        "Institutions: status filter (failed)",
        bench.portal,
        _url(ours, status=failed),
        _url(base, **{status_arg: EnrollmentStatus.FAILED.name}),
    )


def ops_syncs(bench: Bench) -> None:
    """The ops Syncs queue over every organization's syncs."""
    ours, base = bench.path("ops_syncs"), f"{stock.URL}/stock_syncs/"
    status = bench.filter_arg("ops_syncs", "status", "equals")
    health = bench.filter_arg("ops_syncs", "health", "is")
    stock_status = bench.filter_arg("stock_syncs", "status", "equals")
    page(
        bench,
        "Ops syncs: status filter (installing)",
        bench.ops,
        _url(ours, **{status: "INSTALLING"}),
        _url(base, **{stock_status: "INSTALLING"}),
    )
    red = page(
        bench, "Ops syncs: red health filter", bench.ops, _url(ours, **{health: "red"}), None
    )
    red.note += "; stock: no filter can say 'read or write older than 30 min'"


def audit_log(bench: Bench) -> None:
    """The audit log: ops see every organization's events; an org admin sees their own."""
    ops, portal = bench.path("ops_audit_events"), bench.path("portal_audit")
    page(bench, "Ops audit log: first page", bench.ops, ops, None)
    bench.results[-1].stock = median_ms(_get(bench.ops, f"{stock.URL}/stock_audit/"), bench.runs)
    page(bench, "Portal audit log (org 1): first page", bench.portal, portal, None)
