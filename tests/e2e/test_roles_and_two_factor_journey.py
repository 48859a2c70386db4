"""An Owner turns on two-factor sign-in, signs out and back in with a code from the app; a
Viewer of the same organization sees Institutions but neither the API Key page nor a key;
a sandbox reset brings the seeded patients back, and the next booking can be made to fail."""

import re
import time

import pyotp
from playwright.sync_api import expect
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Role
from portal.records import Patient
from portal.services import commit
from portal.services.accounts import users
from portal.services.dashboards import sandbox_summary
from tests.conftest import PASSWORD, signup
from tests.e2e.visits import click_through, sign_in


def test_enable_two_factor_sign_out_and_sign_in_with_a_code(page):
    signup("Alpha Apps", "alice@alpha.example", "Alice")
    sign_in(page, "alice@alpha.example")
    page.get_by_role("link", name="Two-factor").click()
    click_through(page.get_by_role("button", name="Set up two-factor sign-in"))
    app = pyotp.TOTP(page.get_by_test_id("setup-key").inner_text())
    page.get_by_label("Code from your authenticator app").fill(app.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="I saved them: continue").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    sign_in(page, "alice@alpha.example")
    expect(page).to_have_url(re.compile(r"/login/code$"))
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # the password alone opens nothing
    page.goto("/login/code")
    # The code that turned it on is spent; the app's next one is already accepted.
    page.get_by_label("Code from your authenticator app").fill(app.at(time.time() + app.interval))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_test_id("my-role")).to_have_text("Owner")


def test_a_viewer_sees_institutions_but_not_the_api_key(page):
    owner = signup("Alpha Apps", "alice@alpha.example", "Alice")
    users.add_member(owner.organization, "vera@alpha.example", "Vera", PASSWORD, Role.VIEWER)
    sign_in(page, "vera@alpha.example")
    menu = page.get_by_role("navigation", name="Portal")
    expect(menu.get_by_role("link", name="Institutions")).to_be_visible()
    expect(menu.get_by_role("link", name="API Key")).to_have_count(0)
    click_through(menu.get_by_role("link", name="Institutions"))
    expect(page.get_by_text("Alpha Apps Demo Practice")).to_be_visible()
    expect(page.get_by_role("link", name="Create Institution")).to_have_count(0)
    answer = page.goto("/portal/api-key/")
    assert answer.status == 403


def test_a_sandbox_reset_restores_the_seeded_patients_and_a_booking_can_be_made_to_fail(page):
    owner = signup("Alpha Apps", "alice@alpha.example", "Alice")
    location_id = sandbox_summary(owner.organization).location_id
    seeded = patient_names(location_id)
    db.session.execute(delete(Patient).where(Patient.location_id == location_id))
    commit()
    sign_in(page, "alice@alpha.example")
    click_through(page.get_by_role("link", name="Sandbox controls"))
    expect(page.get_by_role("main")).to_contain_text("the seeded records come back")
    page.get_by_role("button", name="Reset sandbox data").click()
    expect(page.get_by_role("status").filter(has_text="seeded records again")).to_be_visible()
    assert patient_names(location_id) == seeded
    click_through(page.get_by_role("link", name="Sandbox controls"))
    page.get_by_role("button", name="Fail the next booking").click()
    expect(page.get_by_role("status").filter(has_text="will be refused")).to_be_visible()
    expect(page.get_by_test_id("sandbox-failed-booking")).to_contain_text("Armed:")


def patient_names(location_id: int) -> list:
    db.session.expire_all()
    query = select(Patient.first_name, Patient.last_name).where(Patient.location_id == location_id)
    return sorted(db.session.execute(query).tuples())
