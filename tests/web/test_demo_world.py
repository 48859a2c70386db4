"""The demo world `make run` loads: every tab of the portal and every page a developer opens
has rows, in production mode as the demo organization starts."""

import re

import pytest

from portal.services import demo
from portal.services.onboarding import billing, overviews
from tests.conftest import csrf_token, login


@pytest.fixture
def developer(app):
    demo.load()
    client = app.test_client()
    login(client, demo.LOGINS[0].email, demo.PASSWORD)
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    return client


def _rows(page: str) -> int:
    return len(re.findall(r"<tr[ >]", page.split("<tbody", 1)[-1]))


def test_every_institutions_tab_has_rows_in_every_status_of_onboarding(developer):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import EnrollmentStatus, Mode, Organization

    acme = db.session.scalar(select(Organization).where(Organization.name == "Acme Dental Apps"))
    counts = overviews.tab_counts(acme, Mode.PRODUCTION)
    assert counts["todo"] and counts["in_progress"] and counts["all"] >= 9
    for tab in ("todo", "in_progress", "all"):
        page = developer.get(f"/portal/institutions/?tab={tab}").get_data(as_text=True)
        assert _rows(page) >= 1, tab
    statuses = {
        developer.get(f"/portal/institutions/?status={s.value}").status_code
        for s in EnrollmentStatus
    }
    assert statuses == {200}
    shown = developer.get("/portal/institutions/?tab=all&page_size=50").get_data(as_text=True)
    for label in ("Live", "Failed", "Awaiting consent", "Needs locations", "Needs credentials",
                  "Installing", "Needs sync", "Deactivated"):  # fmt: skip
        assert label in shown, label
    assert billing.billable_locations(acme) >= 3


@pytest.mark.parametrize(
    "path",
    [
        "/portal/sync-status/",
        "/portal/users/",
        "/portal/audit/",
        "/portal/api-key/",
    ],
)
def test_every_portal_page_has_rows(developer, path):
    page = developer.get(path).get_data(as_text=True)
    assert _rows(page) >= 1, path


def test_the_demo_world_has_a_stale_a_failed_and_a_healthy_sync_and_a_pending_invitation(
    developer,
):
    page = developer.get("/portal/sync-status/").get_data(as_text=True)
    assert "Healthy" in page and "Stale" in page
    users = developer.get("/portal/users/").get_data(as_text=True)
    assert "dev@acme.example" in users  # a pending invitation
