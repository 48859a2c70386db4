"""A new developer signs up, signs in, finds the sandbox practice, sees test mode, and signs
out."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def test_sign_up_see_the_demo_practice_in_test_mode_and_log_out(page):
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Organization name").fill("Journey Dental Apps")
    page.get_by_label("Your name").fill("Jo Journey")
    page.get_by_label("Work email").fill("jo@journey.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("sign in with the password you chose")
    page.get_by_label("Email").fill("jo@journey.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_test_id("sandbox-card")).to_contain_text("Journey Dental Apps Demo Practice")
    expect(page.get_by_test_id("sandbox-subdomain")).to_have_text("journey-dental-apps-demo")
    expect(page.get_by_test_id("sandbox-location-id")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_test_id("test-mode-banner")).to_contain_text("test mode")
    expect(page.get_by_role("navigation", name="Portal")).to_contain_text("Institutions")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
