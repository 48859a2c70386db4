"""Controls that need a script are not offered before that script has run: a console page
keeps its content hidden until every script is bound, however slowly the scripts arrive."""

from playwright.sync_api import expect

from portal.services.accounts import users
from tests.conftest import PASSWORD
from tests.e2e.visits import NEXT_SHOWN, SHOWN, click_through, sign_in, wait_until_shown


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


def test_the_page_clicked_on_is_not_taken_for_the_page_the_click_loads(page):
    users.create_staff("olive@ops.example", PASSWORD)
    sign_in(page, "olive@ops.example")
    shown_since = page.evaluate("performance.timeOrigin")
    assert page.evaluate(SHOWN) is True
    assert page.evaluate(NEXT_SHOWN, shown_since) is False  # still the page clicked on
    assert page.evaluate(NEXT_SHOWN, shown_since - 1) is True  # a page that replaced it

    click_through(page.get_by_role("navigation", name="Ops").get_by_role("link", name="Syncs"))
    assert page.evaluate("performance.timeOrigin") != shown_since
    expect(page.get_by_role("heading", name="Syncs")).to_be_visible()

    page.evaluate("document.removeChild(document.documentElement)")  # a document not yet built
    assert page.evaluate(SHOWN) is False
    assert page.evaluate(NEXT_SHOWN, shown_since - 1) is False


def test_a_page_whose_first_script_has_not_run_yet_is_not_shown(page):
    users.create_staff("olive@ops.example", PASSWORD)
    sign_in(page, "olive@ops.example")
    held = []
    page.route("**/portal.css*", lambda route: held.append(route))  # the head script waits on it
    with page.expect_request("**/portal.css*"):
        page.goto("/ops/", wait_until="commit")
    page.wait_for_function("() => document.documentElement !== null")
    assert page.evaluate("document.documentElement.classList.contains('js-pending')") is False
    assert page.evaluate(SHOWN) is False
    for _ in range(1000):  # the handler runs as Playwright dispatches its events
        if held:
            break
        page.evaluate("0")
    held[0].continue_()
    wait_until_shown(page)
    assert page.evaluate("document.documentElement.hasAttribute('data-ready')") is True
