"""What operators see: one JSON line per log record (one per request, with its id), the
request id echoed in `X-Request-ID`, and errors reported to Sentry when SENTRY_DSN is set.

Nothing secret is logged: no query strings, no headers, no bodies, and paths are logged as
their route with only numeric ids filled in (a reset link's token never reaches a log).
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
access_log = logging.getLogger("portal.requests")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        line.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
    if app.config.get("SENTRY_DSN"):
        _init_sentry(app)


def configure_logging(level: str) -> None:
    """JSON lines on stderr for every logger (gunicorn's included), once per process."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("portal").setLevel(level.upper())  # even if a library lowers the root's
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access lines print full URLs


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("request_started")
    access_log.info(
        "request",
        extra={
            "method": request.method,
            "path": route_path(),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "organization_id": _organization_id(),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def route_path() -> str:
    """The matched route with numeric arguments filled in and any other argument left as its
    name: `/reset/<token>`, `/api/patients/42`. Unmatched paths are logged as they came."""
    rule = request.url_rule
    if rule is None:
        return request.path[:200]
    args = request.view_args or {}

    def fill(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        value = args.get(name)
        return str(value) if isinstance(value, int) else f"<{name}>"

    return re.sub(r"<([^>]+)>", fill, rule.rule)


def _organization_id() -> int | None:
    caller = g.get("caller")
    if caller is not None:
        return caller.organization_id
    user = g.get("_login_user")  # only if the request loaded its user: no query of our own
    return getattr(user, "organization_id", None)


def _init_sentry(app: Flask) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=app.config["SENTRY_DSN"],
        environment=app.config["ENV_NAME"],
        integrations=[FlaskIntegration()],
        send_default_pii=False,  # no cookies, headers with credentials, bodies or user data
        include_local_variables=False,  # a frame's locals may hold a password or a record
        max_request_body_size="never",
        before_send=_scrub,
    )


def _scrub(event: dict, _hint) -> dict:
    request_info = event.get("request") or {}
    request_info.pop("query_string", None)
    request_info.pop("data", None)
    request_info.pop("cookies", None)
    request_info["headers"] = {
        k: v
        for k, v in (request_info.get("headers") or {}).items()
        if k.lower() not in {"authorization", "cookie", "x-api-key"}
    }
    if request_info.get("url") and has_request_context():
        request_info["url"] = route_path()
    return event
