"""Hosted onboarding over HTTP against the app served on loopback: the developer creates a
link with the API, the practice completes it on the hosted page without signing in (its
cloud credentials entered there), the developer sees the institution installing on the
Institutions page, and the link dies when it expires."""

from datetime import timedelta

import httpx

from portal import clock
from portal.models import Mode
from portal.services.accounts import api_keys
from tests.onboarding import upgraded
from tests.processes.conftest import form_token, signed_in

NEW_PRACTICE = {
    "institution_name": "Harbor Dental",
    "institution_street_address": "1 Main St",
    "institution_city": "Albany",
    "institution_state": "NY",
    "institution_zip_code": "12207",
    "institution_phone_number": "(518) 555-0142",
    "emr_name": "denticon",
}


def api_client(base_url: str, raw_key: str) -> httpx.Client:
    client = httpx.Client(base_url=f"{base_url}/api", timeout=30)
    token = client.post("/authenticates", headers={"Authorization": raw_key}).json()["data"]
    client.headers["Authorization"] = f"Bearer {token['token']}"
    return client


def test_an_onboarding_made_by_api_is_completed_by_the_practice_and_seen_by_the_developer(
    live_server,
):
    developer = upgraded("Acme Apps", "admin@acme.example", "Ada Admin")
    key = api_keys.create(developer.organization, Mode.PRODUCTION, actor=developer)
    api = api_client(live_server, key.raw)
    created = api.post("/onboardings", json={"onboarding": NEW_PRACTICE})
    assert created.status_code == 201, created.text
    onboarding = created.json()["data"]
    link = onboarding["url"]
    assert link.startswith(f"{live_server}/setup/") and onboarding["status"] == "in_progress"

    practice = httpx.Client(timeout=30, follow_redirects=True)  # no account, no sign-in
    first = practice.get(link)
    assert first.status_code == 200 and "Harbor Dental" in first.text
    practice.post(
        f"{link}/system",
        data={"csrf_token": form_token(practice, link), "ehr": "denticon", "server_name": ""},
    )
    secret = {"url": "https://harbor.denticon.com", "username": "it-admin", "password": "pw-92x"}
    done = practice.post(
        f"{link}/credentials", data={"csrf_token": form_token(practice, link), **secret}
    )
    assert done.status_code == 200 and "Our engineers install" in done.text

    portal = signed_in(live_server, developer.email)
    portal.post(
        "/portal/mode",
        data={"csrf_token": form_token(portal, "/portal/"), "mode": "production"},
    )
    listing = portal.get("/portal/institutions/?tab=in_progress").text
    assert "Harbor Dental" in listing and "Installing" in listing
    assert "pw-92x" not in listing
    status = api.get(f"/onboardings/{onboarding['id']}").json()["data"]
    assert status["status"] == "in_progress" and status["subdomain"]

    with clock.travel(timedelta(days=91)):  # the served app shares this process's clock
        expired = practice.get(link)
    assert expired.status_code == 410 and "expired" in expired.text
