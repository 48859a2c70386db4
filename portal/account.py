"""The signed-in person's own security page: setting up, confirming and turning off
two-factor sign-in (for members and staff alike)."""

import segno
from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.auth import home_for
from portal.forms import CodeForm
from portal.services import PortalError
from portal.services.accounts import two_factor

bp = Blueprint("account", __name__, url_prefix="/account")


def _me():
    return current_user._get_current_object()


@bp.route("/two-factor/")
@login_required
def two_factor_page():
    user = _me()
    pending = user.totp_secret_encrypted is not None and not two_factor.enabled(user)
    return render_template(
        "account/two_factor.html",
        user=user,
        enabled=two_factor.enabled(user),
        required=two_factor.required(user),
        pending=pending,
        left=two_factor.left(user) if two_factor.enabled(user) else 0,
        home=home_for(user),
        form=CodeForm(),
    )


@bp.route("/two-factor/start", methods=["POST"])
@login_required
def start():
    try:
        two_factor.begin(_me())
    except PortalError as error:
        flash(str(error), "danger")
    return redirect(url_for(".setup"))


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def setup():
    """Scan (or type) the secret, then prove it with a code; the recovery codes follow once."""
    user, form = _me(), CodeForm()
    try:
        key, address = two_factor.pending_setup(user)
    except PortalError as error:
        flash(str(error), "info")
        return redirect(url_for(".two_factor_page"))
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(user, form.code.data)
        except PortalError as error:
            form.code.errors.append(str(error))
        else:
            return _shown_once(codes)
    qr = Markup(segno.make(address, error="m").svg_inline(scale=4, title="QR code of the key"))
    response = make_response(
        render_template("account/two_factor_setup.html", form=form, key=key, qr=qr)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/two-factor/off", methods=["POST"])
@login_required
def turn_off():
    form = CodeForm()
    if not form.validate_on_submit():
        flash("Enter a current code to turn two-factor sign-in off.", "danger")
    else:
        try:
            two_factor.turn_off(_me(), form.code.data)
        except PortalError as error:
            flash(str(error), "danger")
        else:
            flash("Two-factor sign-in is off.", "success")
    return redirect(url_for(".two_factor_page"))


def _shown_once(codes: list[str]):
    # The recovery codes are in this response only: never stored, cached or redirected.
    response = make_response(
        render_template("account/recovery_codes.html", codes=codes, home=home_for(_me()))
    )
    response.headers["Cache-Control"] = "no-store"
    return response
