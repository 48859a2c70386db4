"""The Issues page of `/portal` (what needs the developer now, for the current mode) and of
`/ops` (across organizations), with Snooze; and the menu entry that counts them."""

from flask import g, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.menu import MenuLink
from flask_login import current_user
from markupsafe import Markup

from portal.admin_views.base import OpsAccess, PortalAccess, attempt, current_mode, signed_in_user
from portal.extensions import db
from portal.models import Organization
from portal.services import issues
from portal.services.accounts import roles
from portal.services.accounts.roles import Permission


def _open_now() -> list:
    """The organization's open issues in the current mode, worked out once a request: the
    Issues page and the menu's count both show them."""
    if "open_issues" not in g:
        g.open_issues = issues.open_issues(current_user.organization, current_mode())
    return g.open_issues


class IssuesView(PortalAccess, BaseView):
    reads, writes = Permission.READ, Permission.MANAGE_ONBOARDING

    def is_visible(self) -> bool:
        return False  # the counted menu entry below stands for it

    @expose("/")
    def index(self):
        return self.render("portal/issues.html", issues=_open_now(), organizations={})

    @expose("/snooze", methods=["POST"])
    def snooze(self):
        attempt(
            issues.snooze,
            current_user.organization,
            request.form.get("key", ""),
            request.form.get("period", ""),
            actor=signed_in_user(),
            success="Snoozed: it comes back if it still needs you then.",
        )
        return redirect(url_for(".index"))


class OpsIssuesView(OpsAccess, BaseView):
    @expose("/")
    def index(self):
        found = issues.open_issues(None, None)
        names = {o.id: o.name for o in db.session.query(Organization)}
        return self.render("portal/issues.html", issues=found, organizations=names)


class CountedLink(MenuLink):
    """The Issues menu entry: its name carries how many issues are open now."""

    def __init__(self):
        super().__init__("Issues", endpoint="portal_issues.index")

    @property
    def name(self):
        count = len(_open_now())
        badge = Markup(' <span class="badge badge-pill badge-warning">{}</span>').format(count)
        return Markup("Issues") + (badge if count else "")

    @name.setter
    def name(self, value) -> None:
        pass  # fixed: "Issues"

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and roles.can(current_user, Permission.READ)
