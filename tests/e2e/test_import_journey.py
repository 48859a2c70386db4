"""A developer downloads the sample CSV, uploads it, reads the preview, imports it and
downloads the product keys for the practices' IT."""

import csv
import io

from playwright.sync_api import expect

from tests.e2e.test_onboarding_journeys import production
from tests.e2e.visits import sign_in
from tests.onboarding import upgraded


def test_sample_upload_preview_apply_and_product_keys(page, tmp_path, running_worker):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    sign_in(page, "alice@alpha.example")
    production(page)
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Institutions").click()
    page.get_by_role("link", name="Upload CSV").click()

    with page.expect_download() as sample:
        page.get_by_test_id("sample-csv").click()
    sample_path = tmp_path / "sample.csv"
    sample.value.save_as(sample_path)
    page.get_by_label("CSV file").set_input_files(str(sample_path))
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_test_id("count-new-institution")).to_have_text("2")
    expect(page.get_by_test_id("count-additional-sync")).to_have_text("1")
    expect(page.get_by_test_id("import-rows")).to_contain_text("Bright Kids Orthodontics")
    page.get_by_role("button", name="Import 3 rows").click()
    # The worker imports; the progress page follows it and opens the result when done.
    expect(page.get_by_test_id("created-syncs")).to_contain_text(
        "Hudson Family Dental", timeout=60_000
    )

    with page.expect_download() as keys:
        page.get_by_test_id("product-keys-csv").click()
    rows = list(csv.reader(io.StringIO(keys.value.path().read_text())))
    assert rows[0][-1] == "product_key"
    dentrix = [r for r in rows[1:] if r[2].startswith("Dentrix")]
    assert [r[3] for r in dentrix] == ["FRONTDESK", "IMAGING"] and all(
        len(r[-1]) == 29 for r in dentrix
    )

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Institutions").click()
    expect(page.locator("tr", has_text="Bright Kids Orthodontics")).to_contain_text(
        "Provide credentials"
    )
