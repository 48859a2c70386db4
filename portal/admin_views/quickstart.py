"""The Quickstart page: copy-paste curl commands filled in with the organization's sandbox."""

from flask import current_app
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess
from portal.services import dashboards


class QuickstartView(PortalAccess, BaseView):
    @expose("/")
    def index(self):
        # BASE_URL, not the Host header: the page shows a secret next to this address.
        base_url = current_app.config["BASE_URL"].rstrip("/")
        return self.render(
            "portal/quickstart.html",
            sandbox=dashboards.sandbox_summary(current_user.organization),
            api_url=f"{base_url}/api",
        )
