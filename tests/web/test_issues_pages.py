"""The Issues page and its count in the menu; staff's page across organizations."""

from portal.services.accounts import users
from portal.services.imports import csv_import
from tests.conftest import PASSWORD, csrf_token, login
from tests.e2e.world import BAD_CSV
from tests.onboarding import upgraded


def production(client):
    client.post(
        "/portal/mode", data={"mode": "production", "csrf_token": csrf_token(client, "/portal/")}
    )


def menu_of(page: str) -> str:
    return page.split('id="console-menu"')[1].split("</nav>")[0]


def test_the_menu_counts_open_issues_and_the_page_says_what_to_do(client):
    alice = upgraded("Bravo Apps", "alice@bravo.example", "Alice")
    login(client, "alice@bravo.example")
    production(client)
    assert "badge" not in menu_of(client.get("/portal/").get_data(as_text=True))
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    menu = menu_of(client.get("/portal/").get_data(as_text=True))
    assert 'Issues <span class="badge badge-pill badge-warning">1</span>' in menu
    page = client.get("/portal/issues/").get_data(as_text=True)
    assert "Import with errors" in page and "fix the file and upload it again" in page
    assert "broken.csv" in page


def test_snoozing_from_the_page_hides_the_issue(client):
    alice = upgraded("Bravo Apps", "alice@bravo.example", "Alice")
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    login(client, "alice@bravo.example")
    production(client)
    page = client.get("/portal/issues/").get_data(as_text=True)
    key = page.split('name="key" value="')[1].split('"')[0]
    token = csrf_token(client, "/portal/issues/")
    client.post("/portal/issues/snooze", data={"csrf_token": token, "key": key, "period": "7d"})
    page = client.get("/portal/issues/").get_data(as_text=True)
    assert 'data-testid="no-issues"' in page


def test_staff_see_issues_of_every_organization(client):
    alice = upgraded("Bravo Apps", "alice@bravo.example", "Alice")
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    users.create_staff("olive@ops.example", PASSWORD)
    login(client, "olive@ops.example")
    page = client.get("/ops/issues/").get_data(as_text=True)
    assert "Bravo Apps" in page and "Import with errors" in page
