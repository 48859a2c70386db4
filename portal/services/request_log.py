"""The request log: every API call of an organization (per mode), kept 30 days.

A call only appends a small dict to this process's buffer (no database work on the request
path); a background thread per process writes the buffer in one INSERT per batch, about
every second. What is kept: method, the path, the query with only known harmless values
(others read "…"), status, duration, the key's prefix, subdomain, request id and, for a
refusal, its error message. Never a token, a key, a body or a health-record value.
A batch waits while the database is away; an organization deleted meanwhile loses its own
entries only.
"""

import atexit
import logging
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from flask import Flask, current_app, g, request
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from portal import clock, engines
from portal.extensions import db
from portal.models import ApiRequest, Mode, Organization
from portal.services import milestones

log = logging.getLogger("portal.request_log")

KEPT_FOR = timedelta(days=30)
FLUSH_SECONDS = 1.0
MAX_BUFFERED = 20_000  # beyond this (the database is away) new entries are dropped
# Query parameters whose values say nothing about a patient and hold no secret.
SHOWN_VALUES = {
    "subdomain", "location_id", "per_page", "start_cursor", "end_cursor", "start", "end",
    "start_date", "days", "lids[]", "pids[]", "include[]", "sort", "updated_since",
    "appointment_type_id", "provider_id", "operatory_id", "patient_id", "cancelled",
}  # fmt: skip
STATUS_CLASSES = {"2xx": (200, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600)}

_buffer: list[dict] = []
_lock = threading.Lock()
_writing = threading.Lock()  # one flush at a time: a caller of flush() waits for one under way
_flusher: threading.Thread | None = None
_app: Flask | None = None


def safe_query(pairs) -> str:
    """The query string with only harmless values kept: `name=Ada` reads `name=…`."""
    return urlencode([(k, v if k in SHOWN_VALUES else "…") for k, v in pairs])[:1000]


def note(caller, response) -> None:
    """Queue the entry of the API call being answered (the API's after-request hook): a few
    attribute reads and an append; the error envelope is read for refusals only."""
    global _flusher, _app
    entry = {
        "organization_id": caller.organization_id,
        "mode": caller.mode,
        "key_prefix": caller.key_prefix,
        "method": request.method[:8],
        "path": request.path[:200],
        "query": request.query_string,  # raw bytes: made safe by the writer, off the path
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("request_started", 0)) * 1000, 1),
        "subdomain": request.args.get("subdomain", "")[:80],
        "request_id": g.get("request_id", "")[:64],
        "error": _error_of(response),
        "created_at": clock.now(),
    }
    with _lock:
        if len(_buffer) < MAX_BUFFERED:
            _buffer.append(entry)
        if _flusher is None or not _flusher.is_alive():
            _app = current_app._get_current_object()
            _flusher = threading.Thread(target=_flush_forever, args=(_app,), daemon=True)
            _flusher.start()


def _error_of(response) -> str:
    if response.status_code < 400 or not response.is_json:
        return ""
    errors = (response.get_json(silent=True) or {}).get("error") or []
    return " ".join(str(e) for e in errors)[:500] if isinstance(errors, list) else ""


def flush() -> int:
    """Write what is buffered in one INSERT; returns how many. Needs an app context. When it
    returns, nothing taken from the buffer before the call is still being written."""
    with _writing:
        return _write_buffered()


def _write_buffered() -> int:
    with _lock:
        rows = _buffer[:]
        _buffer.clear()
    if not rows:
        return 0
    for row in rows:
        if isinstance(row["query"], bytes):  # a batch kept from a failed flush is done already
            row["query"] = safe_query(parse_qsl(row["query"].decode("latin-1"), True))
    try:
        try:
            _insert(rows)
        except IntegrityError:
            # An organization deleted since its calls were noted: its entries go, the
            # others are written.
            rows = _of_existing_organizations(rows)
            _insert(rows)
    except DBAPIError as error:
        if not error.connection_invalidated and not isinstance(error, OperationalError):
            log.exception("request log batch dropped", extra={"rows": len(rows)})
            return 0
        # The database is away: the entries wait for the next flush (up to MAX_BUFFERED).
        with _lock:
            _buffer[:0] = rows[: max(MAX_BUFFERED - len(_buffer), 0)]
        log.warning("request log batch kept for later", extra={"rows": len(rows)})
        return 0
    return len(rows)


def _insert(rows: list[dict]) -> None:
    if rows:
        with _writer().begin() as connection:
            connection.execute(insert(ApiRequest), rows)
            _first_sandbox_calls(connection, rows)


def _of_existing_organizations(rows: list[dict]) -> list[dict]:
    ids = {row["organization_id"] for row in rows}
    with _writer().connect() as connection:
        found = set(connection.scalars(select(Organization.id).where(Organization.id.in_(ids))))
    return [row for row in rows if row["organization_id"] in found]


def _first_sandbox_calls(connection, rows: list[dict]) -> None:
    """Organizations whose first successful sandbox call is in this batch reach that
    milestone (the log forgets the call after 30 days; the go-live checklist does not).
    One UPDATE a batch, that changes nothing for organizations already there."""
    succeeded = [r for r in rows if r["mode"] is Mode.SANDBOX and 200 <= r["status"] < 300]
    if succeeded:
        ids = {row["organization_id"] for row in succeeded}
        at = min(row["created_at"] for row in succeeded)
        connection.execute(milestones.reached("first_sandbox_call_at", ids, at))


def _writer() -> Engine:
    """The log's own connections to the database: a flush never takes one from the pool
    that requests use, nor shows among their statements."""
    return engines.own("request log")


def _flush_forever(app: Flask) -> None:
    stop = threading.Event()
    while not stop.wait(app.config.get("REQUEST_LOG_FLUSH_SECONDS", FLUSH_SECONDS)):
        with app.app_context():
            flush()


def for_organization(
    organization: Organization,
    mode: Mode,
    *,
    status_class: str = "",
    path: str = "",
    subdomain: str = "",
    request_id: str = "",
    before_id: int | None = None,
    limit: int = 50,
) -> list[ApiRequest]:
    """The organization's calls in `mode`, newest first, filtered as the page asks."""
    query = select(ApiRequest).where(
        ApiRequest.organization_id == organization.id, ApiRequest.mode == mode
    )
    if status_class in STATUS_CLASSES:
        low, high = STATUS_CLASSES[status_class]
        query = query.where(ApiRequest.status >= low, ApiRequest.status < high)
    if path:
        query = query.where(ApiRequest.path.contains(path[:200], autoescape=True))
    if subdomain:
        query = query.where(ApiRequest.subdomain == subdomain[:80])
    if request_id:
        query = query.where(ApiRequest.request_id == request_id[:64])
    if before_id:
        query = query.where(ApiRequest.id < before_id)
    return db.session.scalars(query.order_by(ApiRequest.id.desc()).limit(limit)).all()


def get_for(organization: Organization, request_id: int) -> ApiRequest | None:
    return db.session.scalar(
        select(ApiRequest).where(
            ApiRequest.id == request_id, ApiRequest.organization_id == organization.id
        )
    )


def forget_old(_worker: str = "") -> int:
    """Delete entries older than KEPT_FOR (a periodic worker task); returns how many."""
    done = db.session.execute(
        delete(ApiRequest).where(ApiRequest.created_at < clock.now() - KEPT_FOR)
    ).rowcount
    db.session.commit()
    return done


@atexit.register
def _last_flush() -> None:
    # A stopping process writes what it still holds, if it can.
    if _app is not None and _buffer:
        with _app.app_context():
            flush()
