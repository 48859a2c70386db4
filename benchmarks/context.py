"""One benchmark session: the app on the generated database, the stock views beside it,
signed-in test clients (organization 1's admin in production mode; the ops staff user),
and helpers to find a view's filter by name."""

from dataclasses import dataclass, field

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from benchmarks import database, stock
from benchmarks.harness import Result
from benchmarks.sizes import Scale
from portal import create_app
from portal.extensions import db
from portal.models import Mode, Organization, User

BIG_ORG = 1


@dataclass
class Bench:
    app: Flask
    url: str
    scale: Scale
    runs: int
    portal: FlaskClient = None
    ops: FlaskClient = None
    results: list[Result] = field(default_factory=list)

    @property
    def database(self) -> str:
        return database.label(self.url)

    @property
    def engine(self) -> Engine:
        return db.engine

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def result(self, scenario: str, unit: str, ours, **kw) -> Result:
        return self.add(Result(scenario, self.database, unit, ours, **kw))

    def view(self, endpoint: str):
        """The Flask-Admin view registered under `endpoint`, in any console."""
        for admin in self.app.extensions["admin"]:
            for view in admin._views:
                if view.endpoint == endpoint:
                    return view
        raise LookupError(f"no admin view {endpoint!r} (not built yet?)")

    def filter_arg(self, endpoint: str, name: str, operation: str) -> str:
        """The URL parameter of a view's filter, e.g. `flt0_status_equals`. `name` is the
        filter's label or the key of the column it filters ("action" for "What happened")."""
        view = self.view(endpoint)
        for arg, (_, flt) in view._filter_args.items():
            column = getattr(getattr(flt, "column", None), "key", None)
            named = name.lower() in (str(flt.name).lower(), str(column).lower())
            if named and str(flt.operation()) == operation:
                return f"flt0_{arg}"
        raise LookupError(f"{endpoint} has no filter {name!r} {operation!r}")

    def path(self, endpoint: str, **values) -> str:
        """A console page's path from its endpoint (`ops_syncs` -> its list), as links do."""
        if "." not in endpoint:
            endpoint += ".index_view"
        with self.app.test_request_context():
            return url_for(endpoint, **values)


def open_bench(url: str, scale: Scale, runs: int) -> Bench:
    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        RATELIMIT_ENABLED=False,
        WTF_CSRF_ENABLED=False,
        SYNC_STALE_MINUTES=30,
    )
    stock.register(app)
    bench = Bench(app, url, scale, runs)
    with app.app_context():
        admin = db.session.get(User, BIG_ORG)
        staff = db.session.scalar(db.select(User).where(User.is_staff.is_(True)))
        assert db.session.get(Organization, BIG_ORG).production_enabled
        bench.portal = signed_in(app, admin, mode=Mode.PRODUCTION)
        bench.ops = signed_in(app, staff)
    return bench


def signed_in(app: Flask, user: User, mode: Mode | None = None) -> FlaskClient:
    """A test client carrying a Flask-Login session for `user`, as after signing in."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        if mode is not None:
            session["mode"] = mode.value
    return client
