"""A mixed bulk selection: staff see which selected syncs the action applies to and which it
skips, and why, before confirming; then only those change."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import EnrollmentStatus, SyncStage
from portal.services.accounts import users
from tests.conftest import PASSWORD
from tests.e2e.visits import sign_in
from tests.onboarding import enrollment_in, sync_in, upgraded


def test_marking_a_cloud_and_a_self_installer_sync_installed_skips_the_one_it_cannot(page, mailbox):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    cloud = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING, "Cloudy Dental"),
        "denticon",
        SyncStage.INSTALLING,
    )
    onprem = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING, "Server Dental"),
        "dentrix",
        SyncStage.INSTALLING,
    )
    users.create_staff("olive@ops.example", PASSWORD)
    sign_in(page, "olive@ops.example")
    page.get_by_role("navigation", name="Ops").get_by_role("link", name="Syncs").click()
    for name in ("Cloudy Dental", "Server Dental"):
        page.locator("tr", has_text=name).locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Mark installed…").click()

    expect(page.get_by_test_id("bulk-applies")).to_have_text("Mark installed applies to 1 of them")
    expect(page.locator("table")).to_contain_text("Cloudy Dental")
    expect(page.locator("table")).not_to_contain_text("Server Dental")
    expect(page.get_by_test_id("bulk-skipped")).to_contain_text(
        "(Server Dental): Cannot mark it installed: a self-installer sync does not take that step."
    )
    page.get_by_role("button", name="Mark installed 1").click()
    expect(page.get_by_text("Mark installed: 1 sync updated.")).to_be_visible()
    expect(page.get_by_text("Skipped sync #")).to_be_visible()
    db.session.refresh(cloud), db.session.refresh(onprem)
    assert cloud.status is SyncStage.ACTIVE and onprem.status is SyncStage.INSTALLING
