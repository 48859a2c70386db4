"""The Quickstart page fills the curl commands in with the organization's own sandbox, and
what it tells a developer to do works."""

import html
import re

from portal.models import Mode
from portal.services import commit
from portal.services.accounts import api_keys
from portal.services.dashboards import sandbox_summary
from tests.api.conftest import Api, bearer_token
from tests.conftest import csrf_token, login, signup


def test_quickstart_shows_curl_commands_for_the_organizations_sandbox(client):
    user = signup("Gamma Health", "gina@gamma.example")
    signup("Delta Dental Apps", "dan@delta.example")
    sandbox = sandbox_summary(user.organization)
    login(client, "gina@gamma.example")

    page = client.get("/portal/quickstart/").get_data(as_text=True)

    query = f"subdomain={sandbox.subdomain}&amp;location_id={sandbox.location_id}"
    assert f"/api/patients?{query}" in page
    assert f"/api/appointments?{query}" in page
    assert "/api/authenticates" in page
    assert "-X POST" in page and "-X PATCH" in page
    assert "delta-dental" not in page


def test_quickstart_needs_a_signed_in_user(client):
    response = client.get("/portal/quickstart/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_next_page_as_the_quickstart_says_is_the_next_page(client):
    user = signup("Gamma Health", "gina@gamma.example")
    key = api_keys.create(user.organization, Mode.SANDBOX, actor=user)
    login(client, "gina@gamma.example")
    page = html.unescape(client.get("/portal/quickstart/").get_data(as_text=True))
    listing = re.search(r'curl -s "http://[^/]+/api(/patients\?[^"]+)"', page).group(1)
    told = re.search(r'data-testid="next-page">The next page: add <code>&(\w+)=</code> with '
                     r"<code>page_info\.(\w+)</code>", page)  # fmt: skip
    parameter, value_from = told.groups()
    api = Api(client, bearer_token(client, key.raw))
    first = api.client.get(f"/api{listing}", headers=api._headers(None)).get_json()
    cursor = first["page_info"][value_from]
    following = api.client.get(
        f"/api{listing}&{parameter}={cursor}", headers=api._headers(None)
    ).get_json()
    shown = [row["id"] for row in first["data"]]
    assert first["page_info"]["has_next_page"] and following["data"]
    assert following["data"][0]["id"] > shown[-1]  # onward, nothing shown again
    assert not {row["id"] for row in following["data"]} & set(shown)


def test_in_production_mode_the_quickstart_offers_test_mode_for_its_sandbox_key(client):
    user = signup("Gamma Health", "gina@gamma.example")
    user.organization.production_enabled = True
    commit()
    login(client, "gina@gamma.example")
    assert "quickstart-in-production" not in client.get("/portal/quickstart/").get_data(
        as_text=True
    )
    token = csrf_token(client, "/portal/")
    client.post("/portal/mode", data={"csrf_token": token, "mode": "production"})
    page = client.get("/portal/quickstart/").get_data(as_text=True)
    assert 'data-testid="quickstart-in-production"' in page
    assert 'name="mode" value="sandbox"' in page and "Switch to Test" in page
