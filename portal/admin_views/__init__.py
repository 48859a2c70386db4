"""The two Flask-Admin consoles, built inside the app factory: `/portal` and `/ops`."""

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from portal import catalogue, readable
from portal.admin_views import ops, portal_home, portal_lists, quickstart
from portal.admin_views.base import current_mode
from portal.admin_views.moved import redirect_moved
from portal.services.accounts import roles
from portal.services.accounts.roles import Permission
from portal.statuses import ENUMS


def init_admin(app: Flask) -> tuple[Admin, Admin]:
    # Pages compare statuses as enums (`sync.status == SyncStage.FAILED`), never as strings.
    enums = {cls.__name__: cls for cls in ENUMS}
    app.context_processor(
        lambda: {
            "current_mode": current_mode,
            "readable": readable,
            "catalogue": catalogue,
            "can": lambda permission: roles.can(current_user, permission),
            "Permission": Permission,
            **enums,
        }
    )
    portal = Admin(
        app,
        name="SyncPortal",
        url="/portal",
        endpoint="portal",
        index_view=portal_home.PortalHomeView(name="Home", url="/portal", endpoint="portal"),
        theme=Bootstrap4Theme(base_template="portal/master.html", fluid=True),
    )
    redirect_moved(app, "portal", portal_lists.register(portal))
    portal.add_view(quickstart.QuickstartView("Quickstart", url="quickstart"))
    console = Admin(
        app,
        name="SyncPortal Ops",
        url="/ops",
        endpoint="ops",
        index_view=ops.OpsHomeView(name="Queues", url="/ops", endpoint="ops"),
        theme=Bootstrap4Theme(base_template="ops/master.html", fluid=True),
    )
    redirect_moved(app, "ops", ops.register(console))
    return portal, console
