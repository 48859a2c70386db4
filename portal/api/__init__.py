"""The JSON API at /api, in the shapes of the public NexHealth API.

Every call but `POST /authenticates` and the OpenAPI document needs `Authorization: Bearer`;
a session cookie alone reaches nothing here. Every answer, errors included, is the envelope
of `portal.edge`; each operation is declared once, with `operations.operation`.
"""

from flask import Blueprint, g, request

from portal import edge, reads
from portal.services import request_log
from portal.services.accounts import api_tokens
from portal.services.records.api_access import InvalidCredentials

bp = Blueprint("api", __name__, url_prefix="/api")
edge.register(bp)


@bp.before_request
def check_request():
    if request.endpoint == "api.openapi_document":
        return
    edge.headers(inputs.Headers)
    if request.method == "GET":
        reads.begin()  # no GET writes: no transaction (portal.reads)
    if request.endpoint in KEY_IN_STATEMENT:
        g.bearer = api_tokens.genuine(_bearer_token())  # its key: in the view's statement
    elif request.endpoint not in OPEN_ENDPOINTS:
        checked_caller()


@bp.after_request
def log_call(response):
    # The organization's request log: a buffered append, written off the request path.
    caller = g.get("caller")
    if caller is not None:
        request_log.note(caller, response)
    return response


def checked_caller():
    """The caller, its key checked: before the view, or now for an operation that checks
    the key in its own statement (`key_in_statement`) and has not read a row yet."""
    if "caller" not in g:
        g.caller = api_tokens.caller_for(_bearer_token())
    return g.caller


def _bearer_token() -> str:
    token = edge.bearer_token()
    if token is None:
        raise InvalidCredentials("Send the header Authorization: Bearer <token>.")
    return token


from portal.api import (  # noqa: E402  (the routes register themselves on `bp`)
    appointment_types,
    appointments,
    authenticates,
    inputs,
    institutions,
    onboardings,
    openapi,
    patients,
    practice,
    recalls,
    schedules,
    webhooks,
)
from portal.api.operations import KEY_IN_STATEMENT, OPEN_ENDPOINTS  # noqa: E402

__all__ = [
    "bp",
    "appointment_types",
    "appointments",
    "authenticates",
    "institutions",
    "onboardings",
    "openapi",
    "patients",
    "practice",
    "recalls",
    "schedules",
    "webhooks",
]
