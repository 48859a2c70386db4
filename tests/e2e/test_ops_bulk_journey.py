"""Staff work a queue in bulk: filter access requests to the pending ones, cancel one
selected row through its confirmation page, then expire all that still match the filter."""

from playwright.sync_api import expect

from portal.services.accounts import users
from portal.services.onboarding import consent
from tests.conftest import PASSWORD
from tests.e2e.visits import click_through, sign_in
from tests.onboarding import live_practice, upgraded


def test_staff_filter_access_requests_cancel_one_then_expire_all_matching(page, mailbox):
    practice = live_practice()
    for org in ("Bravo", "Charlie", "Delta"):
        consent.request_access(
            practice, actor=upgraded(f"{org} Apps", f"dev@{org.lower()}.example")
        )
    echo = upgraded("Echo Apps", "dev@echo.example")
    consent.cancel(consent.request_access(practice, actor=echo), actor=echo)
    users.create_staff("olive@ops.example", PASSWORD)

    sign_in(page, "olive@ops.example")
    page.get_by_role("navigation", name="Ops").get_by_role("link", name="Access requests").click()
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters.show a", has_text="Status").click()
    page.locator(".filters .select2-container.filter-val").click()
    page.locator(".select2-result-label", has_text="pending").click()
    click_through(page.get_by_role("button", name="Apply"))
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("table.model-list")).not_to_contain_text("Echo Apps")

    rows.filter(has_text="Bravo Apps").locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel: 1 access requests")
    expect(page.get_by_test_id("bulk-explain")).to_contain_text("links stop working")
    page.get_by_role("button", name="Cancel 1").click()
    expect(page.get_by_text("1 access request cancelled.")).to_be_visible()
    expect(rows).to_have_count(2)  # still filtered to pending

    form = page.get_by_test_id("apply-to-all")
    expect(form).to_contain_text("Apply to all 2 matching the filter")
    form.get_by_role("combobox").select_option(label="Expire now")
    form.get_by_role("button", name="Review…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Expire now: 2 access requests matching the filter"
    )
    expect(page.locator("table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Expire now 2").click()
    expect(page.get_by_text("2 access requests expired.")).to_be_visible()
    expect(page.locator("table.model-list")).to_contain_text("There are no items in the table.")
