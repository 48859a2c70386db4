"""What the portal says first: the production card in production mode, the sandbox in test
mode, the go-live checklist in both (linking each role only to pages it may open), and why
creating an institution needs production before any form."""

import re

import pytest

from portal.models import Mode, Role
from portal.services import go_live
from portal.services.accounts import api_keys, users
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import upgraded


def _signed_in(client, mode: str):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    client.post("/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": mode})


def test_home_in_production_shows_what_is_left_before_going_live(client):
    _signed_in(client, "production")
    page = client.get("/portal/").get_data(as_text=True)
    assert 'data-testid="production-card"' in page and 'data-testid="sandbox-card"' not in page
    assert _step(page, "upgrade_approved")[0] == "yes" and "request the upgrade" not in page
    done, text = _step(page, "live_location")
    assert done == "no" and "create an institution" in text.lower()


def test_home_in_test_mode_shows_the_sandbox_and_how_to_reach_production(client):
    _signed_in(client, "sandbox")
    page = client.get("/portal/").get_data(as_text=True)
    assert 'data-testid="sandbox-card"' in page and "switch the header to" in page.lower()


def _step(page: str, name: str) -> tuple[str, str]:
    """(whether the step says it is done, its text) from Home's go-live checklist."""
    found = re.search(rf'data-testid="step-{name}" data-done="(\w+)">(.*?)</li>', page, re.S)
    assert found, name
    return found.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2)))


def _checklist(page: str) -> str:
    return page.split('data-testid="go-live"')[1].split("</section>")[0]


def test_the_checklist_says_in_words_which_steps_are_done(client):
    _signed_in(client, "sandbox")
    page = client.get("/portal/").get_data(as_text=True)
    assert "1 of 7 steps done" in page  # the upgrade
    done, text = _step(page, "sandbox_key")
    assert done == "no" and "Not done" in text
    owner = users.find_user_by_email("alice@alpha.example")
    api_keys.create(owner.organization, Mode.SANDBOX, actor=owner)
    page = client.get("/portal/").get_data(as_text=True)
    done, text = _step(page, "sandbox_key")
    assert done == "yes" and "Done" in text and "has a sandbox API key" in text
    assert "2 of 7 steps done" in page
    shown = re.sub(r"<[^>]+>", " ", _checklist(page))
    assert not any(step.name in shown for step in go_live.STEPS)  # words, not codes


@pytest.mark.parametrize("role", [Role.OWNER, Role.DEVELOPER, Role.VIEWER])
def test_the_checklist_links_each_role_only_to_pages_it_may_open(app, role):
    owner = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    address = "alice@alpha.example"
    if role is not Role.OWNER:
        address = f"{role.value}@alpha.example"
        users.add_member(owner.organization, address, role.label, PASSWORD, role)
    client = app.test_client()
    login(client, address)
    checklist = _checklist(client.get("/portal/").get_data(as_text=True))
    links = re.findall(r'href="([^"]+)"', checklist)
    assert links and all(client.get(link).status_code == 200 for link in links)
    assert ("/portal/api-key/" in links) == (role is Role.OWNER)
    assert ("/portal/webhooks/" in links) == (role is not Role.VIEWER)
    if role is Role.VIEWER:
        assert "Ask an Owner or Admin of your organization." in checklist
        assert "Ask an Owner, Admin or Developer of your organization." in checklist


def test_create_institution_in_test_mode_explains_before_any_form(client):
    _signed_in(client, "sandbox")
    page = client.get("/portal/institutions/add/").get_data(as_text=True)
    assert 'data-testid="needs-production"' in page
    assert "created in production mode" in page
    assert 'name="street_address"' not in page


def test_the_site_has_a_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
