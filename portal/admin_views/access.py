"""The institution page's access actions: match on create, request access, resend or cancel
a request, activate more locations, deactivate. Mixed into the Institutions view."""

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from portal import catalogue
from portal.admin_views.base import (
    attempt,
    back_with,
    current_mode,
    signed_in_user,
    writers_only,
)
from portal.models import Mode
from portal.onboarding_forms import InstitutionForm
from portal.services.onboarding import (
    activations,
    consent,
    deactivations,
    enrollments,
    grants,
    institutions,
    matching,
)


class AccessActions:
    def match_for(self, form: InstitutionForm):
        """A live practice this new institution seems to be, unless the developer said no."""
        if current_mode() is not Mode.PRODUCTION:
            return None
        details = form.details()
        found = matching.find_match(
            current_user.organization,
            name=details.name,
            street_address=details.street_address,
            zip_code=details.zip_code,
            phone=details.phone_number,
        )
        if found is not None and request.form.get("different_practice"):
            institutions.dismiss_match(found, actor=signed_in_user())
            return None
        return found

    def yours_for(self, form: InstitutionForm):
        """The enrollment in an institution of the organization's own that these details
        seem to be, unless the developer said this is another practice."""
        if current_mode() is not Mode.PRODUCTION or request.form.get("not_yours"):
            return None
        return institutions.already_yours(current_user.organization, form.details())

    def render_yours(self, form: InstitutionForm, enrollment):
        return self.render(
            "portal/institutions/yours.html",
            form=form,
            enrollment=enrollment,
            status=enrollments.LABELS[enrollment.status],
        )

    def render_match(self, form: InstitutionForm, match):
        systems = catalogue.live_systems(match)
        return self.render(
            "portal/institutions/match.html", form=form, match=match, systems=systems
        )

    @expose("/access/request", methods=["POST"])
    def request_access(self):
        form = InstitutionForm()
        match = self.match_for(form) if form.validate_on_submit() else None
        if match is None:
            flash(
                "No live practice matches these details any more; create the institution.",
                "warning",
            )
            return redirect(url_for(".create_institution"))
        enrollment = attempt(
            consent.request_access,
            match,
            actor=signed_in_user(),
            success=f"Access requested: {match.name} has been emailed to consent.",
        )
        if enrollment is not None:
            return redirect(url_for(".institution", enrollment_id=enrollment.id))
        return redirect(url_for(".index_view"))

    @expose("/<int:enrollment_id>/access/<any(resend, again):verb>", methods=["POST"])
    def access_action(self, enrollment_id: int, verb: str):
        enrollment = self._enrollment(enrollment_id)
        calls = {
            "resend": (consent.resend, "The practice was emailed a new link."),
            "again": (consent.request_again, "Access requested again; the practice was emailed."),
        }
        call, done = calls[verb]
        attempt(call, enrollment, actor=signed_in_user(), success=done)
        return redirect(url_for(".institution", enrollment_id=enrollment.id))

    @expose("/<int:enrollment_id>/access/cancel", methods=["GET", "POST"])
    @writers_only
    def cancel_request(self, enrollment_id: int):
        """Asks first (the practice's link stops working), then cancels the request."""
        enrollment = self._enrollment(enrollment_id)
        back = url_for(".institution", enrollment_id=enrollment.id)
        if request.method == "POST":
            attempt(
                consent.cancel,
                enrollment,
                actor=signed_in_user(),
                success="Access request cancelled: the practice's link no longer works.",
            )
            return redirect(back)
        if refused := back_with(enrollments.refusal(enrollment, "cancel_request"), back):
            return refused
        name = enrollment.institution.name
        return self.render(
            "portal/confirm.html",
            question=f"Cancel the access request to {name}?",
            stops=(
                f"The link we emailed to {name} stops working now, so the practice can no "
                "longer consent, and the institution moves to Deactivated. You can request "
                "access again from its page; the practice is then emailed a new link."
            ),
            button="Cancel the request",
            back=back,
            keep="Keep the request",
        )

    @expose("/<int:enrollment_id>/activate/", methods=["GET", "POST"])
    @writers_only
    def activate_locations(self, enrollment_id: int):
        enrollment = self._enrollment(enrollment_id)
        if request.method == "POST" and attempt(
            activations.request,
            enrollment,
            _ids(),
            actor=signed_in_user(),
            success=(
                "Requested. Our team activates the locations shortly; we email you when done."
            ),
        ):
            return redirect(url_for(".institution", enrollment_id=enrollment.id))
        return self.render(
            "portal/institutions/activate.html",
            enrollment=enrollment,
            locations=activations.available_locations(enrollment),
        )

    @expose("/<int:enrollment_id>/deactivate/", methods=["GET", "POST"])
    @writers_only
    def deactivate(self, enrollment_id: int):
        """Choose (nothing preselected where there is a choice), then confirm exactly what
        stops, then deactivate."""
        enrollment = self._enrollment(enrollment_id)
        page = url_for(".institution", enrollment_id=enrollment.id)
        if refused := back_with(enrollments.refusal(enrollment, "deactivate"), page):
            return refused
        active = grants.active_locations(enrollment)
        ticked = _ids()
        scope = "some" if ticked else request.form.get("scope")
        ids = ticked if scope == "some" else None
        if request.method == "POST" and scope not in ("all", "some"):
            flash("Choose the whole institution or the locations to deactivate.", "danger")
        elif request.method == "POST" and request.form.get("confirmed") != "1":
            plan = attempt(deactivations.preview, enrollment, ids)
            if plan is not None:
                keeps = [] if plan.whole else [a for a in active if a.id not in ids]
                return self.render(
                    "portal/institutions/deactivate_confirm.html",
                    enrollment=enrollment,
                    plan=plan,
                    ids=ids or [],
                    keeps=keeps,
                )
        elif request.method == "POST":
            done = attempt(
                deactivations.deactivate, enrollment, actor=signed_in_user(), location_ids=ids
            )
            if done is not None:
                stopped = ", ".join(done.locations) or enrollment.institution.name
                flash(f"Deactivated: {stopped}. Billing for it stopped now.", "success")
                return redirect(page)
        return self.render(
            "portal/institutions/deactivate.html", enrollment=enrollment, active=active
        )


def _ids() -> list[int]:
    return [int(i) for i in request.form.getlist("location_id") if i.isdigit()]
