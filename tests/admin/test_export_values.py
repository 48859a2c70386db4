"""The streamed export reads only the exported columns; its values must stay exactly what
Flask-Admin's `get_export_value` gives, for every view of both consoles that exports."""

import pytest
from flask import current_app
from flask_login import login_user
from sqlalchemy import select

from portal.admin_views import csv_exports
from portal.admin_views.base import OpsModelView
from portal.extensions import db
from portal.models import User
from portal.services import demo


def exporting_views():
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if getattr(view, "can_export", False) and hasattr(view, "get_query"):
                yield view


@pytest.mark.parametrize("batch", [1, 1000])
def test_export_values_match_flask_admins_for_every_view(app, batch):
    logins, _ = demo.load()
    admin, staff = (
        db.session.scalar(select(User).where(User.email == logins[i].email)) for i in (0, 2)
    )
    checked = 0
    for view in exporting_views():
        with app.test_request_context():
            login_user(staff if isinstance(view, OpsModelView) else admin)
            names = [name for name, _ in view._export_columns]
            query = view.get_query().order_by(view.model.id)
            expected = [[view.get_export_value(row, n) for n in names] for row in query]
            assert list(csv_exports.values(view, query, names, batch)) == expected, view.endpoint
        checked += bool(expected)
    assert checked >= 5
