"""Two developers, one practice: A puts it live; B finds the match, the practice consents by
email, B activates one more location with staff's help, deactivates one, and sees usage."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Institution, Location
from portal.services.accounts import users
from tests.conftest import PASSWORD
from tests.e2e.test_onboarding_journeys import production, shown_text, simulate
from tests.e2e.visits import sign_in
from tests.onboarding import upgraded

PRACTICE = {
    "Institution name": "Hudson Family Dental",
    "Street address": "12 River Road",
    "City": "Albany",
    "ZIP code": "12207",
    "Phone": "(518) 555-0199",
    "Email (optional)": "frontdesk@hudson.example",
}


def create_institution(page):
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Institutions").click()
    page.get_by_role("link", name="Create Institution").click()
    for label, value in PRACTICE.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("State").select_option("NY")
    page.get_by_role("button", name="Create institution").click()


def test_a_second_developer_gets_consent_activates_a_location_and_sees_usage(
    browser, live_server, mailbox
):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    upgraded("Bravo Apps", "bob@bravo.example", "Bob")
    users.create_staff("olive@ops.example", PASSWORD)
    alice = browser.new_context(base_url=live_server).new_page()
    sign_in(alice, "alice@alpha.example")
    production(alice)
    create_institution(alice)
    alice.locator("tr", has_text="Hudson Family Dental").get_by_role(
        "link", name="Create sync"
    ).click()
    alice.get_by_label("Health record system").select_option("dentrix")
    alice.get_by_label("Server name").fill("FRONTDESK")
    alice.get_by_role("button", name="Save").click()
    simulate(live_server, shown_text(alice.get_by_test_id("product-key")))
    alice.reload()
    expect(alice.get_by_test_id("enrollment-status")).to_have_text("Live")

    bob = browser.new_context(base_url=live_server).new_page()
    sign_in(bob, "bob@bravo.example")
    production(bob)
    create_institution(bob)
    expect(bob.get_by_test_id("match-name")).to_have_text("Hudson Family Dental")
    expect(bob.get_by_test_id("match")).not_to_contain_text("Alpha Apps")
    bob.get_by_role("button", name="Request access").click()
    expect(bob.get_by_test_id("enrollment-status")).to_have_text("Awaiting consent")

    (body,) = mailbox.bodies_to("frontdesk@hudson.example")
    practice = browser.new_context().new_page()
    practice.goto(re.search(r"http://\S+/practice/requests/\S+", body).group(0))
    expect(practice.get_by_role("heading")).to_contain_text("Bravo Apps asks to connect")
    practice.get_by_role("button", name="Grant access").click()
    expect(practice.get_by_test_id("decision")).to_have_text("Access granted")
    bob.reload()
    expect(bob.get_by_test_id("enrollment-status")).to_have_text("Live")

    # The Synchronizer later discovers a second office that Bravo cannot reach yet.
    institution = db.session.scalar(
        select(Institution).where(Institution.name == "Hudson Family Dental")
    )
    db.session.add(Location(institution=institution, foreign_id="2", name="Hudson Uptown"))
    db.session.commit()
    bob.reload()
    bob.get_by_role("link", name="Activate additional locations").click()
    bob.get_by_label("Hudson Uptown").check()
    bob.get_by_role("button", name="Request activation").click()

    olive = browser.new_context(base_url=live_server).new_page()
    sign_in(olive, "olive@ops.example")
    olive.get_by_role("navigation", name="Ops").get_by_role(
        "link", name="Activation requests"
    ).click()
    olive.locator("tr", has_text="Bravo Apps").locator("input.action-checkbox").check()
    olive.once("dialog", lambda dialog: dialog.accept())
    olive.get_by_role("button", name="With selected").click()
    olive.get_by_role("link", name="Fulfil").click()
    expect(olive.get_by_text("1 request fulfilled")).to_be_visible()

    bob.reload()
    expect(bob.locator("tr", has_text="Hudson Uptown")).to_contain_text("Active")
    bob.get_by_role("navigation", name="Portal").get_by_role("link", name="Usage").click()
    expect(bob.get_by_test_id("billable-locations")).to_have_text("2")
    bob.go_back()
    bob.get_by_role("link", name="Deactivate").click()
    bob.get_by_label("Hudson Uptown").check()
    bob.get_by_role("button", name="Review what stops").click()
    bob.get_by_role("button", name="Deactivate 1 location").click()
    expect(bob.get_by_text("Deactivated: Hudson Uptown.")).to_be_visible()
    bob.get_by_role("navigation", name="Portal").get_by_role("link", name="Usage").click()
    expect(bob.get_by_test_id("billable-locations")).to_have_text("1")
    expect(bob.get_by_test_id("location-days")).to_have_text("2")
