"""The portal home: the sandbox institution, what is left to do, the go-live checklist and
the mode switch."""

from flask import flash, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user

from portal import redirects
from portal.admin_views.base import PortalIndexBase, current_mode
from portal.models import Mode
from portal.services import dashboards, go_live
from portal.services.accounts.roles import Permission


class PortalHomeView(PortalIndexBase):
    writes = Permission.READ  # the mode switch is everyone's own view

    @expose("/")
    def index(self):
        organization = current_user.organization
        return self.render(
            "portal/home.html",
            sandbox=dashboards.sandbox_summary(organization),
            todo_count=dashboards.todo_count(organization, current_mode()),
            checklist=go_live.checklist(organization),
        )

    @expose("/mode", methods=["POST"])
    def switch_mode(self):
        wanted = request.form.get("mode")
        if wanted == Mode.PRODUCTION and not current_user.organization.production_enabled:
            flash("Production mode opens once your organization's upgrade is approved.", "warning")
        elif wanted in (Mode.SANDBOX, Mode.PRODUCTION):
            session["mode"] = wanted
        return redirect(redirects.safe_target(request.form.get("next")) or url_for("portal.index"))
