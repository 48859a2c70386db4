"""Response headers that make the browser an ally (no answer but a static file is ever
cached), and error pages that leak nothing."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import edge
from portal.extensions import db
from portal.services import PortalError, audit

# Flask-Admin's list and action templates use inline onclick handlers, so scripts need
# 'unsafe-inline' (a nonce would disable it); everything is served from our own origin.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    edge.init_app(app)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(PortalError, _portal_error)


# Files that are the same for everyone; every other answer may carry a secret, a person's
# data or a one-time link, so no cache (browser, proxy, back button) keeps it.
CACHEABLE_ENDPOINTS = frozenset({"static", "public.favicon"})


# Set on every answer unless the view chose its own value.
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def _headers(response):
    headers = response.headers
    if not _cacheable(request.endpoint):
        headers["Cache-Control"] = "no-store"
    # One pass over what the view set (a lookup per header walks the list and raises).
    present = set(headers.keys(lower=True))
    wanted = DEFAULT_HEADERS + ((HSTS,) if request.is_secure else ())
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _cacheable(endpoint: str | None) -> bool:
    return endpoint is not None and (
        endpoint in CACHEABLE_ENDPOINTS or endpoint.endswith(".static")
    )


def _portal_error(error: PortalError):
    # A service refusal that no view caught: its status and message are safe to show.
    _audit(error.status_code)
    if _wants_json():
        return edge.refused(error)
    return _page(error.status_code, "Not possible", str(error))


def _csrf_error(error: CSRFError):
    message = "This form expired or was sent from elsewhere. Reload the page and try again."
    db.session.rollback()
    audit.denial("csrf", reason=error.description)
    return _page(400, "Form expired", message)


def _http_error(error: HTTPException):
    if error.code and error.code < 400:
        return error
    _audit(error.code)
    if _wants_json():
        return edge.http_error(error)
    return _page(error.code or 500, error.name, error.description)


def _audit(status: int | None) -> None:
    # An error answer keeps nothing of the request's writes; its refusal is audited.
    if status in (401, 403):
        db.session.rollback()
        audit.refusal_answered(status)


def _wants_json() -> bool:
    # Machine clients get the edge's envelope, also for URLs that match no route.
    return edge.serves(request.path) or request.accept_mimetypes.best == "application/json"


def _page(code: int, title: str, message: str):
    if _wants_json():
        return edge.failure(code, message)
    return render_template("errors/error.html", code=code, title=title, message=message), code
