"""The Upgrade page (Owners and Admins): ask for production access."""

from flask import redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess, attempt, signed_in_user
from portal.forms import UpgradeForm
from portal.services.accounts import upgrades
from portal.services.accounts.roles import Permission


class UpgradeView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_BILLING

    @expose("/", methods=["GET", "POST"])
    def index(self):
        organization = current_user.organization
        form = UpgradeForm()
        if form.validate_on_submit() and attempt(
            upgrades.request_upgrade,
            organization,
            legal_name=form.legal_name.data,
            billing_email=form.billing_email.data,
            expected_practices=form.expected_practices.data,
            actor=signed_in_user(),
            success="Upgrade requested. We email you when it is reviewed.",
        ):
            return redirect(url_for(".index"))
        return self.render(
            "portal/upgrade/index.html",
            form=form,
            organization=organization,
            pending=upgrades.pending_for(organization),
        )
