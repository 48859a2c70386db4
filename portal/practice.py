"""`/practice`: a practice contact signs in by emailed link and manages the apps (developer
organizations) that use its Synchronizer: grant, deny, revoke."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from portal.forms import PracticeLoginForm
from portal.models import Enrollment, Institution
from portal.services import PortalError, tenancy
from portal.services.accounts import practice_sessions
from portal.services.onboarding import consent, consent_evidence, deactivations, practice_apps

bp = Blueprint("practice", __name__, url_prefix="/practice")


def signed_in_institution() -> Institution | None:
    state = session.get("practice")
    if not state:
        return None
    institution = practice_sessions.signed_in(state)
    if institution is None:
        session.pop("practice", None)
    return institution


@bp.route("/", methods=["GET", "POST"])
def index():
    institution = signed_in_institution()
    if institution is not None:
        return render_template(
            "practice/apps.html",
            institution=institution,
            apps=practice_apps.apps_for(institution),
            consent_version=consent_evidence.CONSENT_TEXT_VERSION,
        )
    form = PracticeLoginForm()
    if form.validate_on_submit():
        practice_sessions.send_links(form.email.data)
        flash("If a practice uses that address, a sign-in link is on its way.", "info")
        return redirect(url_for(".index"))
    return render_template("practice/login.html", form=form)


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def sign_in(token: str):
    try:
        institution = practice_sessions.check_link(token)
    except practice_sessions.LinkNoLongerValid:
        return render_template("auth/link_invalid.html"), 404
    # CSRFProtect has checked the token of every POST by the time we get here.
    if request.method == "POST":
        state = practice_sessions.use_link(token)
        session.clear()
        session["practice"] = state
        return redirect(url_for(".index"))
    return render_template("practice/sign_in.html", institution=institution)


@bp.route("/requests/<token>", methods=["GET", "POST"])
def access_request(token: str):
    """The page an access-request email links to. GET and HEAD only show; POST decides."""
    try:
        request_ = consent.find_by_link(token)
    except consent.LinkNoLongerValid:
        return render_template("practice/request_closed.html"), 404
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision not in ("grant", "deny"):
            abort(400)
        try:
            consent.decide_by_link(token, grant=decision == "grant", evidence=_evidence())
        except consent_evidence.ConsentTextChanged as error:
            flash(str(error), "warning")
            return _request_page(request_, token), 409
        except PortalError:
            return render_template("practice/request_closed.html"), 409
        return render_template(
            "practice/decided.html", request=request_, granted=decision == "grant"
        )
    return _request_page(request_, token)


def _request_page(request_, token: str):
    return render_template(
        "practice/request.html",
        request=request_,
        token=token,
        consent_version=consent_evidence.CONSENT_TEXT_VERSION,
    )


def _evidence() -> consent_evidence.Evidence:
    """What proves the decision this request posts: address, browser, consent text shown."""
    return consent_evidence.Evidence(
        address=request.remote_addr or "",
        user_agent=request.user_agent.string,
        text_version=request.form.get("consent_version", ""),
    )


@bp.route("/apps/<int:app_id>/<any(grant, deny, revoke):verb>", methods=["POST"])
def app_action(app_id: int, verb: str):
    """A signed-in practice decides a pending request or revokes a live app."""
    institution = signed_in_institution()
    if institution is None:
        return redirect(url_for(".index"))
    try:
        if verb == "revoke":
            enrollment = deactivations.revoke(app_id, practice=institution)
            flash(f"{enrollment.organization.name} no longer has access.", "success")
        else:
            consent.decide(
                app_id, practice=institution, grant=verb == "grant", evidence=_evidence()
            )
            flash("Your decision is recorded; the developer is told by email.", "success")
    except PortalError as error:
        flash(str(error), "danger")
    return redirect(url_for(".index"))


@bp.route("/apps/<int:app_id>/revoke", methods=["GET"])
def confirm_revoke(app_id: int):
    """Asks first: which developer loses what, from when."""
    institution = signed_in_institution()
    if institution is None:
        return redirect(url_for(".index"))
    app = next((a for a in practice_apps.apps_for(institution) if a.enrollment_id == app_id), None)
    if app is None:
        tenancy.probe_audited(Enrollment, [app_id], Enrollment.institution_id != institution.id)
    if app is None or app.request_id is not None:
        abort(404)
    return render_template("practice/revoke.html", institution=institution, app=app)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    institution = signed_in_institution()
    if institution is not None:
        practice_sessions.sign_out(institution)
    session.pop("practice", None)
    flash("You are signed out.", "info")
    return redirect(url_for(".index"))
