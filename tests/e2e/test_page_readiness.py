"""Controls that need a script are not offered before that script has run: a console page
keeps its content hidden until every script is bound, however slowly the scripts arrive."""

from playwright.sync_api import expect

from portal.services.accounts import users
from tests.conftest import PASSWORD
from tests.e2e.test_onboarding_journeys import sign_in


def test_filter_menu_is_offered_only_once_the_scripts_that_open_it_have_run(page):
    users.create_staff("olive@ops.example", PASSWORD)
    sign_in(page, "olive@ops.example")
    menu = page.get_by_role("navigation", name="Ops")
    queue = menu.get_by_role("link", name="Access requests").get_attribute("href")

    held = []
    page.route("**/bootstrap.min.js*", lambda route: held.append(route))
    with page.expect_request("**/bootstrap.min.js*"):  # the list is parsed; a script is late
        page.goto(queue, wait_until="commit")
    expect(page.locator("table.model-list")).to_be_attached()
    add_filter = page.get_by_role("link", name="Add Filter")
    expect(add_filter).to_be_hidden()

    for _ in range(1000):  # the handler runs as Playwright dispatches its events
        if held:
            break
        page.evaluate("0")
    held[0].continue_()
    add_filter.click()
    expect(page.locator(".field-filters.show a", has_text="Status")).to_be_visible()
