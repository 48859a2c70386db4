"""The Synchronizer protocol (SPEC section 6), `/synchronizer/v1/...`: JSON in, JSON out.

Agents are not browsers: no cookies, no CSRF token; the product key or the bearer agent
token is the credential. Bodies are small and checked in full before anything changes.
"""

from datetime import datetime

from flask import Blueprint, abort, jsonify, request

from portal.extensions import csrf, limiter
from portal.services import PortalError
from portal.services.syncs import agents

MAX_BODY = 64 * 1024
MAX_LOCATIONS = 500
LOCATION_FIELDS = {
    "name": 200,
    "street_address": 200,
    "city": 100,
    "state": 2,
    "zip_code": 10,
    "phone_number": 30,
}

bp = Blueprint("synchronizer", __name__, url_prefix="/synchronizer/v1")
csrf.exempt(bp)


class BadRequest(PortalError):
    status_code = 400


@bp.before_request
def _limit_body():
    # Refuse big bodies before reading them; chunked ones stop at the same limit.
    request.max_content_length = MAX_BODY
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, f"Request bodies are limited to {MAX_BODY // 1024} KB.")


@bp.errorhandler(PortalError)
def _refused(error: PortalError):
    return _envelope(False, type(error).__name__, None, [str(error)]), error.status_code


def _envelope(ok: bool, description: str, data, errors=None):
    return jsonify({"code": ok, "description": description, "error": errors, "data": data})


@bp.post("/activate")
@limiter.limit("30/minute")
def activate():
    body = _body()
    sync, token = agents.activate(
        _text(body, "product_key", 64, required=True),
        hostname=_text(body, "hostname", 200),
        version=_text(body, "version", 40),
    )
    return _envelope(True, "Activated", {"agent_token": token, "sync_id": sync.id}), 201


@bp.post("/heartbeat")
def heartbeat():
    sync = agents.authenticate(_bearer())
    body = _body()
    sync = agents.heartbeat(
        sync,
        last_read_at=_time(body, "last_read_at"),
        last_write_at=_time(body, "last_write_at"),
        locations=_locations(body.get("locations", [])),
    )
    return _envelope(True, "Recorded", {"sync_id": sync.id, "status": sync.status.value})


@bp.post("/failures")
def failures():
    sync = agents.authenticate(_bearer())
    body = _body()
    code = _text(body, "code", 80)
    message = _text(body, "message", 900, required=True)
    agents.report_failure(sync, code=code, message=message)
    return _envelope(True, "Failure recorded", {"sync_id": sync.id, "status": sync.status.value})


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise agents.Unauthorized("Send the agent token as 'Authorization: Bearer <token>'.")
    return token.strip()


def _body() -> dict:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    return body


def _text(body: dict, key: str, limit: int, *, required: bool = False) -> str:
    value = body.get(key, "")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise BadRequest(f"'{key}' must be a string of at most {limit} characters.")
    return value.strip()


def _time(body: dict, key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequest(f"'{key}' must be an ISO 8601 time with a zone, e.g. 2025-01-31T14:05Z.")
    return moment


def _locations(items) -> list[agents.ReportedLocation]:
    if not isinstance(items, list) or len(items) > MAX_LOCATIONS:
        raise BadRequest(f"'locations' must be a list of at most {MAX_LOCATIONS} objects.")
    parsed = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest("Each location must be an object with 'foreign_id' and 'name'.")
        fields = {key: _text(item, key, limit) for key, limit in LOCATION_FIELDS.items()}
        foreign_id = _text(item, "foreign_id", 80, required=True)
        if not fields["name"]:
            raise BadRequest(f"Location {foreign_id} needs a 'name'.")
        parsed.append(agents.ReportedLocation(foreign_id=foreign_id, **fields))
    if len({p.foreign_id for p in parsed}) != len(parsed):
        raise BadRequest("Each location's 'foreign_id' must appear once.")
    return parsed
