"""The Requests page of `/portal`: the organization's API calls in the current mode (30 days),
filtered by status class, path, subdomain and request id, each with a details page. Not for
Viewers."""

from flask import abort, request
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess, current_mode
from portal.services import request_log
from portal.services.accounts.roles import Permission

PAGE = 50


class RequestsView(PortalAccess, BaseView):
    reads = writes = Permission.SEE_REQUESTS

    @expose("/")
    def index(self):
        filters = {
            name: request.args.get(name, "").strip()[:200]
            for name in ("status_class", "path", "subdomain", "request_id")
        }
        before = request.args.get("before", "")
        found = request_log.for_organization(
            current_user.organization,
            current_mode(),
            before_id=int(before) if before.isdigit() else None,
            limit=PAGE,
            **filters,
        )
        return self.render(
            "portal/requests/index.html",
            calls=found,
            filters=filters,
            classes=list(request_log.STATUS_CLASSES),
            older=found[-1].id if len(found) == PAGE else None,
        )

    @expose("/<int:call_id>/")
    def details(self, call_id: int):
        call = request_log.get_for(current_user.organization, call_id)
        if call is None or call.mode != current_mode():
            abort(404)
        return self.render("portal/requests/details.html", call=call)
