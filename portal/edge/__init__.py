"""The HTTP edge for machine clients, /api and /synchronizer/v1: one envelope, one bearer
parser, one reader of query strings and JSON bodies (`portal.edge.reading`), one set of
error handlers. A refusal reads the same wherever it happens, missing URLs included."""

import math
import re
import time
from typing import Annotated, Any, Literal

import msgspec
from flask import Blueprint, Flask, Response, current_app, request
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES

from portal import inputs
from portal.edge.reading import Moment, ZonedTime, bearer_token, body, headers, query
from portal.extensions import db, limiter
from portal.services import PortalError, RateLimited, audit

PREFIXES = ("/api/", "/synchronizer/")
ROOTS = ("/api", "/synchronizer", "/synchronizer/v1")
_LONG_NUMBER = re.compile(r"(?<=/)[0-9]{10,}(?=/|$)")  # a path segment that could pass ID_MAX

_encoder = msgspec.json.Encoder()


class Envelope(msgspec.Struct):
    """Every answer: `code` says whether it worked, `error` holds the messages of a refusal
    (empty on success), `data` the result (null on a refusal). Lists add `count` or
    `page_info`."""

    code: bool
    description: str | None
    error: list[str]
    data: Any


class Refusal(msgspec.Struct):
    """The envelope of a refusal: its messages in `error`, and no data."""

    code: Literal[False]
    description: str | None
    error: Annotated[list[str], msgspec.Meta(min_length=1)]
    data: None


class PageInfo(msgspec.Struct):
    has_previous_page: bool
    has_next_page: bool
    start_cursor: str | None
    end_cursor: str | None


def respond(payload, status: int, headers: dict | None = None) -> Response:
    """`payload` (dicts, lists and shape objects) as JSON."""
    return Response(_encoder.encode(payload), status, headers, mimetype="application/json")


def success(data, status: int = 200, description: str = "Success", **extra) -> Response:
    payload = {"code": True, "description": description, "error": [], "data": data}
    if extra:
        payload.update(extra)
    return respond(payload, status)


def no_content() -> Response:
    """A success with nothing to say (a deletion): 204 and no body."""
    return Response(status=204)


def collection(items: list) -> Response:
    """A whole list, with its length as `count`."""
    return success(items, count=len(items))


def page(items: list, page_info: dict, **extra) -> Response:
    """One page of a list, with the cursors to the pages around it."""
    return success(items, page_info=page_info, **extra)


def description(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def failure(status: int, *errors: str, headers: dict | None = None) -> Response:
    """A refusal, as NexHealth's errors page shows one: the precise message first in `error`,
    no generic `description` (clients read it first), and no data."""
    payload = {"code": False, "description": None, "error": list(errors), "data": None}
    return respond(payload, status, headers)


def serves(path: str) -> bool:
    """Whether `path` belongs to the machine clients' part of the site."""
    return path.startswith(PREFIXES) or path in ROOTS


def init_app(app: Flask) -> None:
    """App-wide part of the edge. The rate limiter adds Retry-After to every answer it
    counts; it only means something on a 429, so it is taken off the others. Hooks run in
    reverse order of registration: put first, this one runs after the limiter's."""
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_after_on_refusals_only)


def _retry_after_on_refusals_only(response: Response) -> Response:
    if serves(request.path) and response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def register(blueprint: Blueprint, *, max_body: int | None = None) -> None:
    """Bind the edge to a blueprint: body size checked before any view, and every error
    (a service's refusal, an HTTP error, a bug) answered as an envelope."""

    @blueprint.before_request
    def limit_body():
        # Refuse big bodies before a view reads them; chunked ones stop at the same limit.
        limit = max_body or current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            request.max_content_length = limit
            if (request.content_length or 0) > limit:
                raise RequestEntityTooLarge(f"Request bodies are limited to {_size(limit)}.")

    blueprint.register_error_handler(PortalError, refused)
    blueprint.register_error_handler(HTTPException, http_error)
    blueprint.register_error_handler(Exception, unexpected)


def refused(error: PortalError) -> Response:
    db.session.rollback()
    audit.refusal_answered(error.status_code)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    return failure(error.status_code, str(error), headers=headers)


def http_error(error: HTTPException) -> Response:
    db.session.rollback()
    code = error.code or 500
    audit.refusal_answered(code)
    headers = {}
    if code == 429:
        headers["Retry-After"] = str(_seconds_until_reset())
        return failure(429, f"Rate limit exceeded ({error.description}).", headers=headers)
    if code == 405:
        headers["Allow"] = ", ".join(error.valid_methods or [])
    if code == 404 and request.url_rule is None:  # no operation at this address at all
        return failure(404, _no_operation(), headers=headers)
    return failure(code, error.description or description(code), headers=headers)


def _no_operation() -> str:
    path = request.path if len(request.path) <= 200 else request.path[:200] + "\u2026"
    if _an_id_too_large():
        return f"Not found: no record has an id above {inputs.ID_MAX:,}."
    if request.path.startswith("/api"):
        return f"There is no operation at {path}; /api/openapi.json lists them."
    return f"There is no operation at {path}."


def _an_id_too_large() -> bool:
    """Whether the path names an operation, but with an id beyond any record's (the route's
    converter refuses such ids, so nothing matched)."""
    numbers = _LONG_NUMBER.findall(request.path)
    if not any(int(n) > inputs.ID_MAX for n in numbers) or len(request.path) > 2000:
        return False
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(_LONG_NUMBER.sub("1", request.path), method=request.method)
    except HTTPException:  # nothing there either (or another method's address)
        return False
    return True


def unexpected(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.exception("Error on %s %s", request.method, request.path)
    return failure(500, "Something went wrong on our side; it has been logged.")


def _seconds_until_reset() -> int:
    current = limiter.current_limit
    if current is None:
        return 1
    try:
        reset_at = current.reset_at  # read from the shared storage
    except RedisError:
        # The storage went away between counting this request and this read: the whole
        # window is the longest the client may have to wait.
        return max(1, current.limit.get_expiry())
    return max(1, math.ceil(reset_at - time.time()))


def _size(limit: int) -> str:
    return f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"


__all__ = [
    "Envelope",
    "Moment",
    "PageInfo",
    "Refusal",
    "bearer_token",
    "body",
    "collection",
    "failure",
    "headers",
    "init_app",
    "no_content",
    "page",
    "query",
    "register",
    "respond",
    "serves",
    "success",
    "ZonedTime",
]
