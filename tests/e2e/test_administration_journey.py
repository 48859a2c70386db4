"""An admin invites a colleague who joins from the emailed link; the admin creates a
sandbox key, sees it once, and rotates it."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.visits import sign_in


def test_invite_a_colleague_then_create_see_once_and_rotate_a_key(
    browser, live_server, org_admin, mailbox
):
    admin = browser.new_context(base_url=live_server).new_page()
    sign_in(admin, "alice@alpha.example")
    admin.get_by_role("link", name="Users").click()
    admin.get_by_test_id("invite-user").click()
    admin.get_by_label("Email").fill("colleague@alpha.example")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("Invitation sent to colleague@alpha.example")).to_be_visible()
    expect(admin.get_by_test_id("pending-invitations")).to_contain_text("colleague@alpha.example")

    (body,) = mailbox.bodies_to("colleague@alpha.example")
    accept_url = re.search(r"http://\S+/invitations/\S+", body).group(0)
    colleague = browser.new_context().new_page()
    colleague.goto(accept_url)
    expect(colleague.get_by_role("heading", name="Join Alpha Apps")).to_be_visible()
    colleague.get_by_label("Your name").fill("Cole League")
    colleague.get_by_label("Choose a password").fill(PASSWORD)
    colleague.get_by_role("button", name="Join Alpha Apps").click()
    expect(colleague).to_have_url(re.compile(r"/portal/$"))
    expect(colleague.get_by_text("Welcome to Alpha Apps!")).to_be_visible()

    admin.get_by_role("link", name="API Key").click()
    admin.get_by_role("button", name="Create sandbox API key").click()
    first_key = admin.get_by_test_id("new-api-key").input_value()
    assert first_key.startswith("sp_test_")
    admin.get_by_role("link", name="I have saved it").click()
    expect(admin.get_by_test_id("api-keys")).to_contain_text(f"sp_test_…{first_key[-4:]}")
    expect(admin.locator("body")).not_to_contain_text(first_key)

    admin.get_by_role("button", name="Rotate").click()
    expect(admin.get_by_test_id("what-stops")).to_contain_text("stops working now")
    admin.get_by_role("button", name="Rotate the key").click()
    second_key = admin.get_by_test_id("new-api-key").input_value()
    assert second_key.startswith("sp_test_") and second_key != first_key
    # The page that showed it is never stored (no-store), so it cannot come back; the keys
    # page names the key by its last four characters only.
    admin.goto("/portal/api-key/")
    expect(admin.get_by_test_id("api-keys")).to_contain_text(f"sp_test_…{second_key[-4:]}")
    expect(admin.locator("body")).not_to_contain_text(second_key)
