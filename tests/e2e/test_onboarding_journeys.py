"""Onboarding practices in a real browser: a Dentrix practice goes live through the
simulated Synchronizer; a cloud practice goes live through credentials and ops."""

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from portal.services.accounts import users
from tests.conftest import PASSWORD
from tests.e2e.visits import sign_in
from tests.onboarding import institution, upgraded

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def shown_text(locator) -> str:
    """The text of an element once the page shows it (not while its scripts still load)."""
    expect(locator).to_be_visible()
    return locator.inner_text()


def production(page):
    page.get_by_role("button", name="Production").click()
    expect(page.get_by_test_id("test-mode-banner")).to_have_count(0)


def simulate(live_server: str, key: str) -> str:
    result = subprocess.run(
        [FLASK, "synchronizer", "simulate", "--url", live_server, "--product-key", key],
        cwd=ROOT,
        env={"FLASK_APP": "app.py", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_dentrix_practice_goes_live_through_the_simulated_synchronizer(page, live_server):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    sign_in(page, "alice@alpha.example")
    production(page)
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Institutions").click()
    page.get_by_role("link", name="Create Institution").click()
    page.get_by_label("Institution name").fill("Hudson Family Dental")
    page.get_by_label("Street address").fill("12 River Road")
    page.get_by_label("City").fill("Albany")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("ZIP code").fill("12207")
    page.get_by_label("Phone").fill("(518) 555-0199")
    page.get_by_role("button", name="Create institution").click()

    expect(page.get_by_test_id("tab-todo")).to_contain_text("1")
    row = page.locator("tr", has_text="Hudson Family Dental")
    row.get_by_role("link", name="Create sync").click()
    page.get_by_label("Health record system").select_option("dentrix")
    page.get_by_label("Server name").fill("FRONTDESK")
    page.get_by_role("button", name="Save").click()

    key = shown_text(page.get_by_test_id("product-key"))
    assert re.fullmatch(r"([0-9A-Z]{5}-){4}[0-9A-Z]{5}", key)
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Installing")
    expect(page.get_by_test_id("read-health")).to_contain_text("Pending install")

    output = simulate(live_server, key)
    assert "Heartbeat 1/1: sync is active" in output

    page.reload()
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Live")
    expect(page.get_by_test_id("read-health")).to_contain_text("Healthy")
    expect(page.get_by_test_id("write-health")).to_contain_text("Healthy")
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Institutions").click()
    live_row = page.locator("tr", has_text="Hudson Family Dental")
    expect(live_row.locator(".status-badge")).to_have_text("Live")
    expect(live_row.get_by_test_id("next-action")).to_contain_text("Sync status")


def ops_do(ops, label: str, reason: str | None = None):
    ops.goto("/ops/syncs/")
    ops.locator("input.action-checkbox").first.check()
    ops.get_by_role("button", name="With selected").click()
    ops.get_by_role("link", name=re.compile(label)).click()
    if reason:
        ops.get_by_label("Reason").fill(reason)
    ops.get_by_role("button", name=label).click()
    expect(ops.get_by_text("1 sync updated")).to_be_visible()


def test_a_cloud_practice_goes_live_through_credentials_rejection_and_ops_install(
    browser, live_server, mailbox
):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    institution(user, "Cloudy Dental")
    users.create_staff("olive@ops.example", PASSWORD)
    dev = browser.new_context(base_url=live_server).new_page()
    sign_in(dev, "alice@alpha.example")
    production(dev)
    dev.goto("/portal/institutions/?tab=todo")
    dev.locator("tr", has_text="Cloudy Dental").get_by_role("link", name="Create sync").click()
    dev.get_by_label("Health record system").select_option("denticon")
    dev.get_by_role("button", name="Save").click()
    expect(dev.get_by_test_id("extension-token")).to_contain_text("ext_")

    def provide(password: str):
        dev.goto("/portal/institutions/?tab=todo")
        row = dev.locator("tr", has_text="Cloudy Dental")
        row.get_by_role("link", name="Provide credentials").click()
        dev.get_by_label("System URL").fill("https://cloudy.denticon.example")
        dev.get_by_label("Admin username").fill("admin")
        dev.get_by_label("Admin password").fill(password)
        dev.get_by_role("button", name="Submit credentials").click()
        expect(dev.get_by_test_id("enrollment-status")).to_have_text("Installing")
        expect(dev.locator("body")).not_to_contain_text(password)

    provide("first-Secret-1")
    ops = browser.new_context(base_url=live_server).new_page()
    sign_in(ops, "olive@ops.example")
    ops_do(ops, "Mark credentials rejected", reason="The password was refused")
    assert any("The password was refused" in b for b in mailbox.bodies_to("alice@alpha.example"))

    dev.goto("/portal/institutions/?tab=todo")
    expect(dev.locator("tr", has_text="Cloudy Dental")).to_contain_text("Needs credentials")
    provide("second-Secret-2")
    ops_do(ops, "Mark installed")

    dev.goto("/portal/institutions/?tab=all")
    row = dev.locator("tr", has_text="Cloudy Dental")
    expect(row.locator(".status-badge")).to_have_text("Live")
    assert any("is installed" in b for b in mailbox.bodies_to("alice@alpha.example"))
