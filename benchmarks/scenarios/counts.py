"""The Institutions page's tab counts for the organization with 50,000 enrollments: ours is
the one GROUP BY the page runs for every tab; stock Flask-Admin would count once per tab."""

from flask_login import login_user

from benchmarks.context import BIG_ORG, Bench
from benchmarks.harness import floor_ms, median_ms
from portal.extensions import db
from portal.models import TABS, Enrollment, Mode, Organization, User

COUNT_BUDGET_MS = 50


def tab_counts(bench: Bench) -> None:
    from portal.services.onboarding import overviews

    with bench.app.test_request_context(bench.path("portal_institutions")):
        organization = db.session.get(Organization, BIG_ORG)
        login_user(db.session.get(User, BIG_ORG))

        def ours():
            return overviews.tab_counts(organization, Mode.PRODUCTION)

        stock = bench.view("stock_enrollments")

        def stock_counts():
            # What a stock list shows in its pager, once per tab (ALL included).
            counts = [
                stock.get_count_query().filter(Enrollment.status.in_(s)).scalar()
                for s in TABS.values()
            ]
            return [*counts, stock.get_count_query().scalar()]

        ours_ms = median_ms(ours, bench.runs)
        raw_ms, _ = floor_ms(bench.engine, ours, bench.runs)
        stock_ms = median_ms(stock_counts, bench.runs)
        found = ours()
    bench.result(
        f"Institutions: tab counts ({', '.join(f'{k} {v:,}' for k, v in found.items())})",
        "ms",
        ours_ms,
        stock=stock_ms,
        raw=raw_ms,
        budget=COUNT_BUDGET_MS,
        note=f"all {len(found)} tabs in one query",
    )
