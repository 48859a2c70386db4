"""Sign-up, sign-in, sign-out and password reset pages."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from portal import redirects
from portal.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from portal.services import PortalError, RateLimited
from portal.services.accounts import signups, users

bp = Blueprint("auth", __name__)


def init_login(app, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.user_loader(users.load_session_user)


def home_for(user) -> str:
    return url_for("ops.index") if user.is_staff else url_for("portal.index")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            signups.register(
                organization_name=form.organization_name.data,
                name=form.name.data,
                email_address=form.email.data,
                password=form.password.data,
            )
        except PortalError as error:
            form.organization_name.errors.append(str(error))
        else:
            # The same answer whether or not the address already has an account.
            flash(
                f"We sent a message to {form.email.data.strip()}. If this address is new to "
                "SyncPortal, your organization and its sandbox practice are ready: sign in "
                "with the password you chose.",
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(
                form.email.data, form.password.data, address=request.remote_addr
            )
        except RateLimited as error:
            flash(str(error), "danger")
            status = 429
        except PortalError as error:
            flash(str(error), "danger")
            status = 401
        else:
            login_user(user)
            return redirect(redirects.safe_target(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    users.logout(current_user._get_current_object())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        users.request_password_reset(form.email.data)
        flash("If an account uses that address, a reset link is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if users.find_reset_token(token) is None:
        return render_template("auth/link_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            users.reset_password(token, form.password.data)
        except PortalError as error:
            flash(str(error), "danger")
        else:
            flash("Your password is changed. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
