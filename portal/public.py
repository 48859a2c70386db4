"""The front door: send visitors to their console or to sign-in."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from portal.auth import home_for

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))
