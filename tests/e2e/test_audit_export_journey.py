"""An Owner narrows the audit log to one kind of event, chosen by its words, and downloads
exactly those rows: the export follows the filter and stays within the organization."""

import csv
import io

from playwright.sync_api import expect

from portal.models import Mode
from portal.services.accounts import api_keys
from tests.conftest import signup
from tests.e2e.visits import click_through, open_page, sign_in


def test_an_owner_filters_the_audit_log_by_what_happened_and_downloads_those_rows(page):
    alice = signup("Alpha Apps", "alice@alpha.example", "Alice")
    api_keys.create(alice.organization, Mode.SANDBOX, actor=alice)
    bob = signup("Bravo Apps", "bob@bravo.example", "Bob")
    api_keys.create(bob.organization, Mode.SANDBOX, actor=bob)

    sign_in(page, "alice@alpha.example")
    open_page(page, "/portal/audit/")
    page.get_by_role("link", name="Add Filter").click()
    page.locator(".field-filters.show a", has_text="What happened").click()
    page.locator(".filters .select2-container.filter-val").click()
    page.locator(".select2-result-label", has_text="API key: created").click()
    click_through(page.get_by_role("button", name="Apply"))
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("API key: created")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export").click()
    with open(download.value.path(), encoding="utf-8") as saved:
        exported = list(csv.DictReader(io.StringIO(saved.read())))
    assert [(row["What happened"], row["Who"]) for row in exported] == [
        ("API key: created", "alice@alpha.example")
    ]
