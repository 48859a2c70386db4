"""`GET /api/patients?per_page=100` with a bearer token, under gunicorn with 2 workers and a
load tool on loopback, beside a bare Flask endpoint of the same app in the same run."""

from benchmarks import database, load, sandboxes, server
from benchmarks.context import BIG_ORG, Bench
from benchmarks.load import Request
from portal.extensions import db
from portal.models import Mode, Organization, User

API_BUDGET_REQUESTS_PER_S = 1_000
BARE_SHARE_BUDGET = 0.25  # of the bare endpoint's rate in the same run


def raw_key(bench: Bench, mode: Mode = Mode.SANDBOX) -> str:
    """A new API key of organization 1 in `mode` (an earlier one is rotated out)."""
    from portal.services.accounts import api_keys

    with bench.app.app_context():
        organization = db.session.get(Organization, BIG_ORG)
        admin = db.session.get(User, BIG_ORG)
        current = api_keys.current_key(organization, mode)
        if current is None:
            return api_keys.create(organization, mode, actor=admin).raw
        # an earlier run made one; its raw value was shown once and is gone
        return api_keys.rotate(current, actor=admin, grace="now").raw


def bearer_token(bench: Bench, base: str) -> str:
    """A new sandbox key for organization 1, exchanged for a bearer token over HTTP."""
    import httpx

    raw = raw_key(bench)
    answer = httpx.post(f"{base}/api/authenticates", headers={"Authorization": raw}, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]["token"]


def patients(bench: Bench) -> None:
    log = database.BENCH_DIR / "gunicorn.log"
    with server.gunicorn(bench.url, log) as base:
        token = bearer_token(bench, base)
        location = sandboxes.location_id_in(bench.scale, BIG_ORG)
        path = (
            f"/api/patients?subdomain={sandboxes.subdomain(BIG_ORG)}"
            f"&location_id={location}&per_page=100"
        )
        auth = {"Authorization": f"Bearer {token}"}
        _check(base + path, auth)
        script = database.BENCH_DIR / "load.lua"
        bare = load.run(base, [Request("GET", "/bench/bare")], script, bench.scale.load_seconds)
        api = load.run(base, [Request("GET", path, auth)], script, bench.scale.load_seconds)
    bench.result(
        "Bare Flask endpoint (same app, gunicorn -w 2)",
        "req/s",
        bare.requests_per_s,
        note=bare.summary,
    )
    share = api.requests_per_s / bare.requests_per_s
    bench.result(
        "API GET /api/patients?per_page=100",
        "req/s",
        api.requests_per_s,
        budget=API_BUDGET_REQUESTS_PER_S,
        note=f"{api.summary}, {share:.0%} of bare (budget {BARE_SHARE_BUDGET:.0%})",
        passed=api.errors == 0
        and api.requests_per_s >= API_BUDGET_REQUESTS_PER_S
        and share >= BARE_SHARE_BUDGET,
    )


def _check(url: str, headers: dict) -> None:
    import httpx

    answer = httpx.get(url, headers=headers, timeout=10)
    if answer.status_code != 200 or len(answer.json()["data"]) != 100:
        raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text[:300]}")
