"""The Quickstart page fills the curl commands in with the organization's own sandbox."""

from portal.services.dashboards import sandbox_summary
from tests.conftest import login, signup


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
