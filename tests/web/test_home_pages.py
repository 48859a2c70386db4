"""What the portal says first: production next steps in production mode, the sandbox in
test mode, and why creating an institution needs production before any form."""

from tests.conftest import csrf_token, login
from tests.onboarding import upgraded


def _signed_in(client, mode: str):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    client.post("/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": mode})


def test_home_in_production_shows_production_next_steps(client):
    _signed_in(client, "production")
    page = client.get("/portal/").get_data(as_text=True)
    assert 'data-testid="production-card"' in page and "Create an institution" in page
    assert 'data-testid="sandbox-card"' not in page
    assert "request the upgrade" not in page


def test_home_in_test_mode_shows_the_sandbox_and_how_to_reach_production(client):
    _signed_in(client, "sandbox")
    page = client.get("/portal/").get_data(as_text=True)
    assert 'data-testid="sandbox-card"' in page and "switch the header to" in page.lower()


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
