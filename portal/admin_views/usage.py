"""Usage: what the organization is billed for (portal), and the monthly export (ops)."""

from flask import flash, request
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import clock
from portal.admin_views import csv_exports
from portal.admin_views.base import OpsAccess, PortalAccess
from portal.services.onboarding import billing


def _month_from_query() -> billing.Month:
    text = request.args.get("month")
    if text:
        try:
            return billing.Month.parse(text)
        except ValueError:
            flash("Months look like 2026-11.", "warning")
    return billing.Month.of(clock.now())


class UsageView(PortalAccess, BaseView):
    @expose("/")
    def index(self):
        month = _month_from_query()
        return self.render(
            "portal/usage/index.html", usage=billing.usage(current_user.organization, month)
        )


class UsageExportView(OpsAccess, BaseView):
    @expose("/")
    def index(self):
        month = _month_from_query()
        if request.args.get("download"):
            return csv_exports.response(_rows(month), f"usage-{month.label}.csv")
        return self.render("ops/usage.html", month=month)


def _rows(month: billing.Month):
    yield ["organization", "slug", "month", "location_days"]
    yield from billing.monthly_rows(month)
