"""The front door: send visitors to their console or to sign-in."""

from flask import Blueprint, current_app, redirect, send_from_directory, url_for
from flask_login import current_user

from portal.auth import home_for

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every site; the icon is a small SVG.
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")
