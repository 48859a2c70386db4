"""Every download of both consoles streams to its end, with rows in every table (the demo
world): each list's CSV export, the monthly usage, and the import's files."""

from flask import current_app
from sqlalchemy import func, select

from portal.admin_views.base import OpsModelView
from portal.extensions import db
from portal.models import ImportBatch


def exporting_views():
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if getattr(view, "can_export", False) and hasattr(view, "get_query"):
                yield view


def _downloads() -> list[str]:
    batch = db.session.scalar(select(ImportBatch.id))
    return [
        "/ops/usage/?download=1",
        "/portal/imports/sample.csv",
        f"/portal/imports/{batch}/product-keys.csv",
        f"/portal/imports/{batch}/errors.csv",
        f"/ops/import/{batch}/product-keys.csv",
    ]


def test_every_download_of_both_consoles_reads_to_its_end_with_rows(demo_consoles):
    admin, staff = demo_consoles
    checked = []
    for view in exporting_views():
        client = staff if isinstance(view, OpsModelView) else admin
        response = client.get(f"{view.url}/export/csv/")
        body = response.get_data(as_text=True)  # streams the whole file
        lines = body.strip().splitlines()
        assert response.status_code == 200, view.url
        assert response.mimetype == "text/csv", view.url
        assert len(lines) >= 2, f"{view.url} exports no rows"
        rows = db.session.scalar(select(func.count()).select_from(view.model))
        assert rows and len(lines) >= 2
        checked.append(view.url)
    for path in _downloads():
        client = staff if path.startswith("/ops") else admin
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and response.mimetype == "text/csv", path
        assert len(body.strip().splitlines()) >= 1, path
    month = staff.get("/ops/usage/?download=1").get_data(as_text=True).splitlines()
    assert month[0] == "organization,slug,month,location_days" and len(month) >= 3
    assert any(line.startswith("Acme Dental Apps,") for line in month)
    assert len(checked) >= 14
