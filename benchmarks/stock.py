"""The baseline: stock Flask-Admin `ModelView`s over the same tables, configured the way the
documentation shows (columns, search, filters, a default sort) and nothing else. They are
registered on a throwaway `Admin` at /bench-stock in the benchmark process only.

The enrollments view is limited to organization 1's production rows with the two-line
`get_query` override any multi-tenant app needs; without it, it would be a different page.
"""

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView

from portal.extensions import db
from portal.models import AuditEvent, Enrollment, Mode, Sync

URL = "/bench-stock"
BIG_ORG = 1


class StockEnrollments(ModelView):
    column_list = ["institution.name", "status", "created_at"]
    column_searchable_list = ["institution.name"]
    column_filters = ["status"]
    column_default_sort = ("created_at", True)
    named_filter_urls = True
    can_export = True

    def _mine(self, query):
        return query.filter(
            Enrollment.organization_id == BIG_ORG, Enrollment.mode == Mode.PRODUCTION
        )

    def get_query(self):
        return self._mine(super().get_query())

    def get_count_query(self):
        return self._mine(super().get_count_query())


class StockSyncs(ModelView):
    column_list = ["institution", "ehr", "install_method", "status", "last_read_at"]
    # Flask-Admin has no filter for the app's UTCDateTime columns: no stock "red health".
    column_filters = ["status"]
    column_default_sort = ("id", True)
    named_filter_urls = True


class StockAudit(ModelView):
    column_list = ["created_at", "organization", "actor_email", "action", "target_type"]
    column_filters = ["action", "actor_email"]
    column_default_sort = ("created_at", True)
    named_filter_urls = True
    can_export = True
    export_max_rows = 0  # everything, as ours exports


def register(app: Flask) -> Admin:
    """Add the stock views to `app` (before its first request)."""
    admin = Admin(app, name="Stock", url=URL, endpoint="bench_stock")
    admin.add_view(StockEnrollments(Enrollment, db, endpoint="stock_enrollments"))
    admin.add_view(StockSyncs(Sync, db, endpoint="stock_syncs"))
    admin.add_view(StockAudit(AuditEvent, db, endpoint="stock_audit"))
    return admin
