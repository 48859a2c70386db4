"""Health checks for load balancers: `/healthz` (the process answers) and `/readyz` (it can
serve: the database answers; Redis, when the limits use it, is reported).

Redis being down does not make an instance unready: every instance shares the one Redis,
so pulling them all would turn a degraded service (limits counted per process) into an
outage. The database being down does: nothing works without it.
"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": _database(), "rate_limits": _rate_limit_storage()}
    ready = checks["database"] == "ok"
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        current_app.logger.warning(
            "readiness: database unreachable", extra={"error": type(exc).__name__}
        )
        return "unreachable"


def _rate_limit_storage() -> str:
    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory://"):
        return "in process (memory://)"
    try:
        reachable = limiter.storage.check()
    except Exception:
        reachable = False
    return "ok" if reachable else "unreachable: counting in each process until it is back"
