"""WCAG 2.1 AA in a real browser, on every page of both consoles, the sign-in pages, the
practice site and the public pages, each with rows (tests/e2e/world.py). Pages come from the
URL map (tests/e2e/sitemap.py), so a new page is walked without being listed. On each page:
axe-core finds no violation; at 320 px nothing scrolls sideways and what scrolls inside the
page is reachable by keyboard; its title is its heading; its form, sent empty, shows its
errors accessibly (and axe-core checks that page too)."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e import axe, sitemap, world
from tests.e2e.visits import DESKTOP, NARROW, Visitors, click_through, follow, open_page

# A field that a person can leave empty; forms with one are sent empty once.
BLANKABLE = (
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit])"
    ":not([readonly]), textarea, select:has(option[value=''])"
)
SCROLL_RULES = ["scrollable-region-focusable"]


@dataclass
class Report:
    axe: list = field(default_factory=list)
    wide: list = field(default_factory=list)
    forms: list = field(default_factory=list)
    titles: list = field(default_factory=list)
    pages: int = 0
    sent: int = 0

    def audit(self, page, label: str, rules=None) -> None:
        found = axe.violations(page, rules=rules)
        if found:
            self.axe.append(f"== {label}\n{axe.describe(found)}")


@pytest.fixture
def walk(app, browser, live_server):
    """walk(viewport) builds the world and returns (pages, visitors)."""
    opened = []

    def start(viewport):
        found = world.build()
        visitors = Visitors(browser, live_server, found, viewport)
        opened.append(visitors)
        return sitemap.pages(app, found), visitors

    yield start
    for visitors in opened:
        visitors.close()


def test_every_page_passes_axe_reflows_at_320_px_and_shows_its_form_errors(walk):
    pages, visitors = walk(DESKTOP)
    report = Report()
    for entry in pages:
        check_page(visitors.tab(entry.who), entry, report)
    for label in pages_after_a_post(visitors):
        report.audit(visitors.tab(label.split()[0]), label)
    print(
        f"axe-core {axe.version()}: {report.pages} pages and {report.sent} forms sent empty; "
        f"{len(report.axe)} with violations, {len(report.wide)} wider than 320 px"
    )
    assert not report.axe, "\n".join(report.axe)
    assert not report.wide, "pages that scroll sideways at 320 px:\n" + "\n".join(report.wide)
    assert not report.forms, "\n".join(report.forms)
    assert report.sent >= 15, f"only {report.sent} forms were sent empty: does the walk reach them?"
    assert_titles_name_their_pages(report.titles)


def check_page(page, entry: sitemap.Page, report: Report) -> None:
    label = f"{entry.who} {entry.url}"
    response = open_page(page, entry.url)
    assert response.status < 400, f"{label}: {response.status}"
    report.pages += 1
    report.audit(page, label)
    heading = " ".join(page.locator("h1").first.inner_text().split())
    report.titles.append((urlsplit(page.url).path, page.title(), heading))
    page.set_viewport_size(NARROW)
    wide = page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>"
        " done([document.documentElement.scrollWidth, window.innerWidth]))))"
    )
    if wide[0] > wide[1]:
        report.wide.append(f"{label}: {wide[0]} px wide in {wide[1]} px")
    report.audit(page, f"{label} at 320 px", rules=SCROLL_RULES)
    page.set_viewport_size(DESKTOP)
    if send_first_form_empty(page):
        report.sent += 1
        check_errors_shown(page, f"{label} (sent empty)", report)


def send_first_form_empty(page) -> bool:
    """Empty every field of the page's first form that has one, and send it (the browser's
    own checks off, as a script-less client or a stale page would send it)."""
    index = page.evaluate(
        """selector => [...document.querySelectorAll('main form')].findIndex(form =>
            form.method === 'post' && [...form.querySelectorAll(selector)].some(field =>
                field.offsetParent !== null))""",
        BLANKABLE,
    )
    if index < 0:
        return False
    follow(
        page,
        lambda: page.evaluate(
            """([index, selector]) => {
                const form = document.querySelectorAll('main form')[index];
                form.querySelectorAll(selector).forEach(field => { field.value = ''; });
                form.noValidate = true;
                form.requestSubmit();
            }""",
            [index, BLANKABLE],
        ),
    )
    return True


def check_errors_shown(page, label: str, report: Report) -> None:
    if not page.locator("main [aria-invalid=true], main [role=alert]").count():
        report.forms.append(f"{label}: no error is shown or announced")
        return
    summary = page.locator("[data-error-summary]")
    if summary.count():
        expect(summary).to_be_focused()
    report.audit(page, label)


def assert_titles_name_their_pages(titles) -> None:
    """A title is the page's heading (then the site's name), so pages are told apart."""
    wrong = [
        f"{path}: {title!r} for {h1!r}"
        for path, title, h1 in titles
        if not h1.startswith(title.rsplit(" · ", 1)[0])
    ]
    assert not wrong, "titles that are not the page's heading:\n" + "\n".join(wrong)
    owners: dict[str, set] = {}
    for path, title, _ in titles:
        owners.setdefault(title, set()).add(path)
    shared = {title: sorted(paths) for title, paths in owners.items() if len(paths) > 1}
    assert not shared, f"pages that share a title: {shared}"


def pages_after_a_post(visitors):
    """Pages that only a form's answer shows: a new API key, your own institution, a match, a
    practice's decision."""
    admin = visitors.tab("admin")
    portal_menu = admin.get_by_role("navigation", name="Portal")
    click_through(portal_menu.get_by_role("link", name="API Key"))
    click_through(admin.get_by_role("button", name="Rotate"))
    expect(admin.get_by_test_id("what-stops")).to_be_visible()
    yield "admin (rotate a key: what stops)"
    click_through(admin.get_by_role("button", name="Rotate the key"))
    expect(admin.get_by_test_id("new-api-key")).to_be_visible()
    yield "admin (new API key)"
    click_through(portal_menu.get_by_role("link", name="Institutions"))
    click_through(admin.get_by_role("link", name="Create Institution"))
    for label, value in world.MATCHING_PRACTICE.items():
        admin.get_by_label(label).fill(value)
    admin.get_by_label("State").select_option("NY")
    click_through(admin.get_by_role("button", name="Create institution"))
    # The admin's own institutions share its phone number: they are offered first.
    expect(admin.get_by_test_id("yours")).to_be_visible()
    yield "admin (your own institution)"
    click_through(admin.get_by_role("button", name="This is a different practice"))
    expect(admin.get_by_test_id("match")).to_be_visible()
    yield "admin (institution match)"
    # An emailed link to a production page, opened in Test mode, offers to switch.
    click_through(admin.get_by_role("button", name="Test", exact=True))
    open_page(admin, f"/portal/institutions/{visitors.found.ids['live']}/")
    expect(admin.get_by_test_id("other-mode")).to_be_visible()
    yield "admin (a production page opened in test mode)"
    click_through(admin.get_by_role("button", name="Switch to Production and open it"))
    expect(admin.get_by_test_id("other-mode")).to_be_hidden()
    practice = visitors.tab("anonymous")
    open_page(practice, visitors.found.links["access_request"])
    practice.get_by_role("button", name="Grant access").click()
    expect(practice.get_by_test_id("decision")).to_be_visible()
    yield "anonymous (practice decision)"
    yield from two_factor_pages(visitors.tab("newcomer"))


def two_factor_pages(newcomer):
    """The newcomer turns two-factor sign-in on (recovery codes), then signs in again (code)."""
    open_page(newcomer, "/account/two-factor/setup")
    key = newcomer.get_by_test_id("setup-key").inner_text()
    newcomer.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).now())
    click_through(newcomer.get_by_role("button", name="Turn on two-factor sign-in"))
    expect(newcomer.get_by_test_id("recovery-codes")).to_be_visible()
    yield "newcomer (recovery codes)"
    open_page(newcomer, "/portal/")
    click_through(newcomer.get_by_role("button", name="Log out"))
    newcomer.get_by_label("Email").fill(world.NEWCOMER)
    newcomer.get_by_label("Password").fill(PASSWORD)
    click_through(newcomer.get_by_role("button", name="Sign in"))
    expect(newcomer.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    yield "newcomer (sign-in code)"


def test_at_320_px_the_menu_folds_behind_a_button_and_log_out_stays_on_screen(walk):
    _, visitors = walk(NARROW)
    for who, home, menu_name in (("admin", "/portal/", "Portal"), ("staff", "/ops/", "Ops")):
        page = visitors.tab(who)
        open_page(page, home)
        menu = page.get_by_role("navigation", name=menu_name)
        expect(menu).to_be_hidden()
        toggle = page.get_by_role("button", name="Menu")
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(menu.get_by_role("link").first).to_be_visible()
        box = page.get_by_role("button", name="Log out").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
