"""Browser visits for the page walks: one signed-in context per audience, and pages read only
once their content is shown."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e import world

# A document is shown once it has loaded and its root has lost `js-pending` (the class the
# page's scripts remove when they are bound). Until its first script has run, a loading
# document has a root without that class yet, so loading alone says "not shown".
SHOWN = """() => {
    const root = document.documentElement;
    return document.readyState === 'complete' && root !== null
        && !root.classList.contains('js-pending');
}"""
# The same, of the document that replaced the one whose `performance.timeOrigin` is given: right
# after a click, the page clicked on is still there and still shown.
NEXT_SHOWN = f"""before => performance.timeOrigin !== before && ({SHOWN})()"""
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}


def wait_until_shown(page) -> None:
    page.wait_for_function(SHOWN)


def follow(page, act) -> None:
    """Do `act` (a click or a key that loads a page) and wait until the page it loads is shown."""
    before = page.evaluate("performance.timeOrigin")
    act()
    page.wait_for_function(NEXT_SHOWN, arg=before)


def click_through(locator) -> None:
    """Click what loads a page and wait until that page, not the one clicked on, is shown."""
    follow(locator.page, locator.click)


def open_page(page, url: str):
    response = page.goto(url)
    wait_until_shown(page)
    return response


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    click_through(page.get_by_role("button", name="Sign in"))


class Visitors:
    """`tab(who)` is a page signed in as that audience (opened on first use)."""

    def __init__(self, browser, live_server: str, found: world.World, viewport: dict):
        self.browser, self.live_server, self.found, self.viewport = (
            browser,
            live_server,
            found,
            viewport,
        )
        self.tabs: dict = {}

    def tab(self, who: str):
        if who not in self.tabs:
            context = self.browser.new_context(base_url=self.live_server, viewport=self.viewport)
            page = context.new_page()
            page.set_default_timeout(20_000)
            self._enter(page, who)
            self.tabs[who] = page
        return self.tabs[who]

    def close(self) -> None:
        for page in self.tabs.values():
            page.context.close()

    def _enter(self, page, who: str) -> None:
        if who == "admin":
            sign_in(page, world.ADMIN)
            page.get_by_role("button", name="Production").click()
            expect(page.get_by_test_id("test-mode-banner")).to_have_count(0)
        elif who == "newcomer":
            sign_in(page, world.NEWCOMER)
        elif who == "staff":
            sign_in(page, world.STAFF)
        elif who == "practice":
            open_page(page, self.found.links["practice_sign_in"])
            page.get_by_role("button", name="Continue").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
