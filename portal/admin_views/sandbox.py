"""Sandbox controls of `/portal`: put the sandbox practice's records back to their seed (asks
first, naming what is deleted). Reached from Home; not for Viewers."""

from flask import redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess, attempt, signed_in_user
from portal.services.accounts.roles import Permission
from portal.services.records import sandbox_controls


class SandboxView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_ONBOARDING

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=["GET", "POST"])
    def index(self):
        if request.method == "POST" and attempt(
            sandbox_controls.reset,
            current_user.organization,
            actor=signed_in_user(),
            success="The sandbox practice has its seeded records again.",
        ):
            return redirect(url_for("portal.index"))
        return self.render("portal/sandbox_reset.html")
