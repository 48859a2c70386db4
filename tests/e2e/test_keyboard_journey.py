"""A developer who uses no mouse: signs in, skips to the content, creates an institution
(one mistake, found through the error summary and corrected), creates its sync and reads the
confirmations, with Tab, Enter and typing only; each stop shows where the focus is."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.visits import follow, open_page
from tests.onboarding import upgraded

NAME_OF_FOCUSED = """() => {
    const el = document.activeElement;
    const labelled = el.labels && el.labels.length ? el.labels[0].innerText : '';
    return (el.getAttribute('aria-label') || labelled || el.innerText || el.value || '')
        .replace(/\\s+/g, ' ').trim();
}"""
FOCUS_SHOWN = """() => {
    const style = getComputedStyle(document.activeElement);
    return style.outlineStyle !== 'none' || style.boxShadow !== 'none';
}"""


def tab_to(page, name: str, limit: int = 40) -> None:
    """Press Tab until the element named `name` has focus; it must show that it has."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(NAME_OF_FOCUSED))
        if seen[-1].startswith(name):
            assert page.evaluate(FOCUS_SHOWN), f"{name!r} has focus but does not show it"
            return
    raise AssertionError(f"{name!r} not reached with Tab; stops were {seen}")


def press_and_load(page, key: str = "Enter") -> None:
    follow(page, lambda: page.keyboard.press(key))


def type_into(page, label: str, text: str) -> None:
    tab_to(page, label)
    page.keyboard.type(text)


def test_sign_in_create_an_institution_and_its_sync_with_the_keyboard_only(page):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    open_page(page, "/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("alice@alpha.example")
    type_into(page, "Password", PASSWORD)
    press_and_load(page)

    tab_to(page, "Skip to main content")
    tab_to(page, "Production")
    press_and_load(page)
    expect(page.get_by_test_id("test-mode-banner")).to_have_count(0)
    tab_to(page, "Institutions")
    press_and_load(page)
    tab_to(page, "Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    tab_to(page, "Create Institution", limit=3)
    press_and_load(page)

    expect(page.get_by_label("Institution name")).to_be_focused()
    page.keyboard.type("Hudson Family Dental")
    type_into(page, "Street address", "12 River Road")
    type_into(page, "City", "Albany")
    type_into(page, "State", "NY")
    expect(page.get_by_label("State")).to_have_value("NY")
    type_into(page, "Phone", "(518) 555-0199")
    press_and_load(page)  # Enter sends the form, without the ZIP code

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("ZIP code")
    zip_code = page.get_by_label("ZIP code")
    expect(zip_code).to_have_attribute("aria-invalid", "true")
    tab_to(page, "ZIP code", limit=2)
    page.keyboard.press("Enter")
    expect(zip_code).to_be_focused()
    page.keyboard.type("12207")
    press_and_load(page)

    expect(page.get_by_role("status")).to_contain_text("Hudson Family Dental created")
    tab_to(page, "Create sync")
    press_and_load(page)
    type_into(page, "Health record system", "Dentrix")
    expect(page.get_by_label("Health record system")).to_have_value("dentrix")
    type_into(page, "Server name", "FRONTDESK")
    press_and_load(page)

    expect(page.get_by_role("status")).to_contain_text("Dentrix (G6.2+) sync created.")
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Installing")
    expect(page.get_by_test_id("product-key")).to_be_visible()
