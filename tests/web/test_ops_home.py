"""The ops home: each queue tile counts the work still to do and opens its list filtered to
exactly that work; an install for a deactivated institution is not work any more."""

import re

import pytest
from sqlalchemy import select, update

from portal.admin_views import filters
from portal.extensions import db
from portal.models import Enrollment, EnrollmentStatus, RequestStatus, UpgradeRequest
from portal.services import demo
from portal.services.accounts import users
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import scheduled_with_windows, upgraded


@pytest.fixture
def staff(app):
    users.create_staff("olive@ops.example", PASSWORD)
    client = app.test_client()
    login(client, "olive@ops.example")
    return client


def _tiles(page: str) -> dict[str, tuple[int, str]]:
    found = re.findall(
        r'href="([^"]+)" data-testid="queue-([a-z-]+)">.*?data-testid="queue-size">(\d+)<',
        page,
        re.S,
    )
    return {name: (int(size), url.replace("&amp;", "&")) for url, name, size in found}


def test_a_scheduled_install_for_a_deactivated_institution_is_not_in_the_queue(staff, mailbox):
    user = upgraded("Alpha Apps", "alice@alpha.example")
    wanted = scheduled_with_windows(user, "Wanted Dental")
    dropped = scheduled_with_windows(user, "Dropped Dental")
    dropped_enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.institution_id == dropped.institution_id)
    )
    dropped_enrollment.status = EnrollmentStatus.DEACTIVATED
    db.session.commit()

    size, url = _tiles(staff.get("/ops/").get_data(as_text=True))["scheduled-installs"]
    assert size == 1
    listing = staff.get(url).get_data(as_text=True)
    assert wanted.institution.name in listing and dropped.institution.name not in listing

    review = f"/ops/syncs/bulk/?action=confirm_window&id={dropped.id}"
    page = staff.get(review).get_data(as_text=True)
    assert "Its institution was deactivated" in page
    staff.post(review, data={"csrf_token": csrf_token(staff, review)})
    db.session.refresh(dropped)
    assert dropped.confirmed_window_start is None


def test_every_queue_tile_opens_a_list_of_exactly_its_rows(app, mailbox):
    demo.load()
    staff = app.test_client()
    login(staff, demo.LOGINS[2].email, demo.PASSWORD)
    tiles = _tiles(staff.get("/ops/").get_data(as_text=True))
    assert len(tiles) == 10
    for name, (size, url) in tiles.items():
        assert size >= 1, f"the demo world leaves the {name} queue empty"
        listing = staff.get(url).get_data(as_text=True)
        rows = len(set(re.findall(r"/details/\?id=(\d+)", listing)))
        assert rows == size, (name, url)
        assert "Ignored the filter" not in listing, (name, url)


def test_a_queue_filter_counts_its_rows_per_status_and_takes_a_date_range(app, mailbox):
    demo.load()
    staff = app.test_client()
    login(staff, demo.LOGINS[2].email, demo.PASSWORD)
    page = staff.get("/ops/upgrade-requests/").get_data(as_text=True)
    facets = page.split('id="filter-groups-data"')[1].split("</div>")[0]
    assert "Pending (1)" in facets and "Approved (2)" in facets and "Rejected (0)" in facets
    # The statement is built once; the counts are read again on every page.
    db.session.execute(update(UpgradeRequest).values(status=RequestStatus.REJECTED))
    db.session.commit()
    page = staff.get("/ops/upgrade-requests/").get_data(as_text=True)
    facets = page.split('id="filter-groups-data"')[1].split("</div>")[0]
    assert "Pending (0)" in facets and "Approved (0)" in facets and "Rejected (3)" in facets
    everything = staff.get(
        "/ops/upgrade-requests/?flt0_created_at_between=2000-01-01+00:00:00+to+2100-01-01+00:00:00"
    ).get_data(as_text=True)
    nothing = staff.get(
        "/ops/upgrade-requests/?flt0_created_at_between=2000-01-01+00:00:00+to+2000-01-02+00:00:00"
    ).get_data(as_text=True)
    assert len(re.findall(r'name="rowid"', everything)) == 3
    assert len(re.findall(r'name="rowid"', nothing)) == 0
    assert "Ignored the filter" not in everything


def test_a_status_facet_counts_up_to_its_cap_and_says_so_beyond(app, mailbox, monkeypatch):
    # Counting stops past the cap, so a facet costs the same on a queue of any length.
    demo.load()
    monkeypatch.setattr(filters, "FACET_CAP", 1)
    staff = app.test_client()
    login(staff, demo.LOGINS[2].email, demo.PASSWORD)
    page = staff.get("/ops/upgrade-requests/").get_data(as_text=True)
    facets = page.split('id="filter-groups-data"')[1].split("</div>")[0]
    assert "Pending (1)" in facets and "Approved (1+)" in facets and "Rejected (0)" in facets
