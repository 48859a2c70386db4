"""The JSON API at /api, in the shapes of the public NexHealth API.

Every call but `POST /authenticates` and the OpenAPI document needs `Authorization: Bearer`;
a session cookie alone reaches nothing here. Every answer, errors included, is the envelope.
"""

import math
import time

from flask import Blueprint, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.api import envelope
from portal.api.limits import bearer_token
from portal.extensions import db, limiter
from portal.services import PortalError, RateLimited
from portal.services.accounts import api_tokens
from portal.services.records.api_access import InvalidCredentials, InvalidField

bp = Blueprint("api", __name__, url_prefix="/api")

VERSIONS = ("v3.0.0", "v20240412")  # two names of the one version we serve
OPEN_ENDPOINTS = {"api.authenticate", "api.openapi_document"}


@bp.before_request
def check_request():
    # Refuse a body larger than allowed before any view runs (views may not read it).
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if request.endpoint == "api.openapi_document":
        return
    version = request.headers.get("Nex-Api-Version")
    if version is not None and version.strip() not in VERSIONS:
        raise InvalidField("Nex-Api-Version", f"must be one of: {', '.join(VERSIONS)}.")
    if request.endpoint not in OPEN_ENDPOINTS:
        g.caller = authenticated_caller()


def authenticated_caller():
    token = bearer_token()
    if token is None:
        raise InvalidCredentials("Send the header Authorization: Bearer <token>.")
    return api_tokens.caller_for(token)


@bp.errorhandler(PortalError)
def refused(error: PortalError):
    db.session.rollback()
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
    return envelope.failure(error.status_code, str(error), headers=headers)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    db.session.rollback()
    code = error.code or 500
    headers = {}
    if code == 429:
        headers["Retry-After"] = str(_seconds_until_reset())
        return envelope.failure(429, f"Rate limit exceeded ({error.description}).", headers=headers)
    if code == 405:
        headers["Allow"] = ", ".join(error.valid_methods or [])
    return envelope.failure(
        code, error.description or envelope.DESCRIPTIONS.get(code, ""), headers=headers
    )


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    db.session.rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return envelope.failure(500, "Something went wrong on our side; it has been logged.")


def _seconds_until_reset() -> int:
    current = limiter.current_limit
    if current is None:
        return 1
    return max(1, math.ceil(current.reset_at - time.time()))


from portal.api import (  # noqa: E402  (the routes register themselves on `bp`)
    appointments,
    authenticates,
    institutions,
    openapi,
    patients,
    practice,
)

__all__ = ["bp", "appointments", "authenticates", "institutions", "openapi", "patients", "practice"]
