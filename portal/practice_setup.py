"""`/setup/<token>`: the hosted onboarding page a developer hands to a practice. No sign-in:
the unguessable link is the key, until it expires. The practice's IT completes the
practice's details, picks its health record system, then sees its product key and install
steps, or enters its cloud system's credentials itself."""

from flask import Blueprint, make_response, redirect, render_template, request, url_for

from portal import catalogue
from portal.models import InstallMethod, Onboarding
from portal.onboarding_forms import CredentialsForm, InstitutionForm
from portal.services import NotFound, PortalError
from portal.services.onboarding import hosted, hosted_setup, institutions
from portal.services.syncs import keys
from portal.webhook_forms import HostedSystemForm

bp = Blueprint("practice_setup", __name__, url_prefix="/setup")


@bp.route("/<token>")
def page(token: str):
    onboarding, refused = _open(token)
    if refused is not None:
        return refused
    return _step(onboarding, token)


@bp.route("/<token>/details", methods=["POST"])
def details(token: str):
    onboarding, refused = _open(token)
    if refused is not None:
        return refused
    form = InstitutionForm()
    if form.validate_on_submit():
        try:
            hosted_setup.complete_details(onboarding, _details(form))
        except institutions.InvalidDetails as error:
            for name, message in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        except PortalError:
            # The reason is the developer's business (another of its clients, a request the
            # practice declined): the practice is told whom to ask, and keeps what it typed.
            developer = onboarding.organization.name
            problem = (
                f"This practice cannot be set up from this link now. Please contact {developer}, "
                "who sent it; nothing you entered was saved."
            )
            return _step(onboarding, token, problem=problem, details_form=form)
        else:
            return redirect(url_for(".page", token=token))
    return _step(onboarding, token, details_form=form)


@bp.route("/<token>/system", methods=["POST"])
def system(token: str):
    onboarding, refused = _open(token)
    if refused is not None:
        return refused
    form = _system_form(onboarding)
    if form.validate_on_submit():
        try:
            hosted_setup.choose_system(
                onboarding, ehr=form.ehr.data, server_name=form.server_name.data or ""
            )
        except PortalError as error:
            return _step(onboarding, token, system_form=form, problem=str(error))
        return redirect(url_for(".page", token=token))
    return _step(onboarding, token, system_form=form)


@bp.route("/<token>/credentials", methods=["POST"])
def credentials(token: str):
    onboarding, refused = _open(token)
    if refused is not None:
        return refused
    form = CredentialsForm()
    if form.validate_on_submit():
        try:
            hosted_setup.submit_credentials(
                onboarding,
                url=form.url.data,
                username=form.username.data,
                password=form.password.data,
            )
        except PortalError as error:
            return _step(onboarding, token, credentials_form=form, problem=str(error))
        return redirect(url_for(".page", token=token))
    return _step(onboarding, token, credentials_form=form)


def _open(token: str) -> tuple[Onboarding | None, object]:
    try:
        return hosted.by_link(token), None
    except hosted.LinkExpired:
        return None, (render_template("practice_setup/expired.html"), 410)
    except NotFound:
        return None, (render_template("auth/link_invalid.html"), 404)


def _step(onboarding: Onboarding, token: str, problem: str = "", **forms):
    sync = onboarding.sync
    context = {
        "onboarding": onboarding,
        "token": token,
        "developer": onboarding.organization,
        "institution": onboarding.enrollment.institution if onboarding.enrollment else None,
        "sync": sync,
        "system": catalogue.name_of(sync.ehr) if sync else "",
        "product_key": keys.product_key(sync) if sync else None,
        "cloud": sync is not None and sync.install_method is InstallMethod.CLOUD,
        "matched": onboarding.details.get("matched", False),
        "status": hosted.status_for(onboarding),
        "problem": problem,
        "details_form": forms.get("details_form") or _details_form(onboarding),
        "system_form": forms.get("system_form") or _system_form(onboarding),
        "credentials_form": forms.get("credentials_form") or CredentialsForm(),
    }
    failed = any(f.errors for f in forms.values()) or bool(problem)
    response = make_response(render_template("practice_setup/page.html", **context))
    response.status_code = 400 if failed and request.method == "POST" else 200
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key
    return response


def _details_form(onboarding: Onboarding) -> InstitutionForm:
    form = InstitutionForm(data=onboarding.details or None)
    return form


def _details(form: InstitutionForm) -> dict:
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def _system_form(onboarding: Onboarding) -> HostedSystemForm:
    form = HostedSystemForm()
    form.ehr.choices = [("", "Choose...")] + [(s.code, s.name) for s in hosted.systems()]
    if request.method == "GET" and onboarding.emr_name:
        form.ehr.data = onboarding.emr_name
    return form
