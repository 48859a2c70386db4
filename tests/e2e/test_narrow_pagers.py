"""A long list's pager fits a 320 px screen: its links wrap instead of pushing the page
sideways (WCAG 1.4.10), so the last pages stay reachable without scrolling across."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.services import audit
from tests.conftest import signup
from tests.e2e.visits import DESKTOP, NARROW, open_page, sign_in


def test_the_pager_of_a_long_list_wraps_at_320_px(page):
    owner = signup("Alpha Apps", "alice@alpha.example")
    for _ in range(500):
        audit.record("user.signup_attempted", actor=owner, organization=owner.organization)
    db.session.commit()
    sign_in(page, "alice@alpha.example")
    page.set_viewport_size(NARROW)
    open_page(page, "/portal/audit/?page=12")
    pager = page.locator("main ul.pagination").first
    expect(pager).to_be_visible()
    assert pager.locator("li").count() >= 7  # first, previous, pages, next, last
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{widths[0]} px wide in {widths[1]} px"
    box = pager.locator("li").last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= NARROW["width"]
    page.set_viewport_size(DESKTOP)
