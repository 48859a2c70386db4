"""Sign-up, sign-in, sign-out and password reset pages."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from portal import clock, redirects
from portal.forms import CodeForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from portal.services import PortalError, RateLimited
from portal.services.accounts import signups, two_factor, users

bp = Blueprint("auth", __name__)
# Who gave the right password and owes a code, until when, and where they were going.
PENDING, PENDING_TARGET = "two_factor_pending", "two_factor_next"
PENDING_SECONDS = 300


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
        except users.InvalidName as error:
            form[error.field].errors.append(str(error))
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
            target = redirects.safe_target(request.args.get("next")) or home_for(user)
            if two_factor.enabled(user):
                # The password was right; the session is only opened by the code.
                session[PENDING] = {"user": user.get_id(), "at": clock.now().timestamp()}
                session[PENDING_TARGET] = target
                return redirect(url_for("auth.sign_in_code"))
            login_user(user)
            return redirect(target)
    return render_template("auth/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
def sign_in_code():
    """The second step of signing in: a code from the app, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash("Sign in again: the code must follow the password within five minutes.", "info")
        return redirect(url_for("auth.login"))
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        try:
            used = two_factor.verify(user, form.code.data)
        except RateLimited as error:
            form.code.errors.append(str(error))
            status = 429
        except PortalError as error:
            form.code.errors.append(str(error))
            status = 401
        else:
            session.pop(PENDING, None)
            login_user(user)
            if used == "recovery code":
                left = two_factor.left(user)
                flash(f"You used a recovery code; {left} left. Each works once.", "warning")
            return redirect(session.pop(PENDING_TARGET, None) or home_for(user))
    return render_template("auth/sign_in_code.html", form=form), status


def _pending_user():
    pending = session.get(PENDING)
    if not pending or clock.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return users.load_session_user(pending.get("user", ""))


@bp.before_app_request
def require_two_factor():
    """Where two-factor sign-in is required, a signed-in user without it sets it up first."""
    if not request.path.startswith(("/portal", "/ops")) or not current_user.is_authenticated:
        return None
    if two_factor.required(current_user) and not two_factor.enabled(current_user):
        flash("Set up two-factor sign-in to continue: it is required for your account.", "info")
        return redirect(url_for("account.two_factor_page"))
    return None


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
