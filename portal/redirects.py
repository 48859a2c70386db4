"""One guard for every "go back to" address a request carries: sign-in's `next`, the mode
switch's `next` and the consoles' `url=`. Only a path of this site passes; anything a browser
could read as another site (`//host`, `/\\host`, `/<tab>/host`, `javascript:`) or that cannot
be a header (CR, LF) is dropped, and the caller goes to its usual page instead."""

import unicodedata
from urllib.parse import urlsplit

import flask_admin.actions
import flask_admin.helpers
import flask_admin.model.base
from flask import request

MAX_LENGTH = 2000


def safe_target(target) -> str | None:
    """`target` if it is a path on this site (starting with one `/`), else None."""
    if not isinstance(target, str) or not 0 < len(target) <= MAX_LENGTH:
        return None
    # Browsers drop tabs and newlines inside URLs and read `\` as `/`: refuse them all.
    if any(char == "\\" or _invisible(char) for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else None


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def admin_redirect_target(param_name: str = "url") -> str | None:
    """Flask-Admin's `get_redirect_target`, through `safe_target` (its own check returns the
    raw value, so a CR/LF in `url=` became a 500 and a Host header chose the site)."""
    return safe_target(request.values.get(param_name))


def init_app(app) -> None:
    # Flask-Admin's views call the function by the name they imported: replace every copy.
    for module in (flask_admin.helpers, flask_admin.model.base, flask_admin.actions):
        module.get_redirect_target = admin_redirect_target
