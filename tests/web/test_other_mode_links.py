"""A link to a page of the organization's other mode (from an email, or a tab left in the
other mode) offers to switch modes and open it, instead of "not found"; another
organization's page is still not found, and says nothing of it."""

import pytest

from portal.extensions import db
from portal.models import EnrollmentStatus, Mode, SyncStage
from portal.services.webhooks import endpoints
from tests.conftest import csrf_token, login
from tests.onboarding import enrollment_in, sync_in, upgraded


@pytest.fixture
def admin(client):
    user = upgraded("Acme Apps", "admin@acme.example")
    login(client, user.email)  # a new session starts in Test mode
    return user


def _pages(user) -> dict[str, str]:
    enrollment = enrollment_in(user, EnrollmentStatus.INSTALLING, "Harbor Dental")
    sync = sync_in(enrollment, "dentrix", SyncStage.INSTALLING)
    endpoint = endpoints.create(
        user.organization, Mode.PRODUCTION, target_url="http://127.0.0.1:9/hook", by=user
    ).endpoint
    return {
        "institution": f"/portal/institutions/{enrollment.id}/",
        "install": f"/portal/syncs/{sync.id}/install/",
        "endpoint": f"/portal/webhooks/{endpoint.id}/",
    }


@pytest.mark.parametrize("page", ["institution", "install", "endpoint"])
def test_a_production_page_opened_in_test_mode_offers_to_switch(client, admin, page):
    path = _pages(admin)[page]
    offer = client.get(path)
    text = offer.get_data(as_text=True)
    assert offer.status_code == 200 and "This page is in Production mode" in text
    assert f'name="next" value="{path}?"' in text or f'name="next" value="{path}"' in text
    assert "Harbor Dental" not in text  # nothing of it until the switch
    switched = client.post(
        "/portal/mode",
        data={"csrf_token": csrf_token(client, path), "mode": "production", "next": path},
    )
    assert switched.status_code == 302 and switched.headers["Location"].startswith(path)
    opened = client.get(path)
    assert opened.status_code == 200
    assert 'data-testid="other-mode"' not in opened.get_data(as_text=True)


def test_a_sandbox_page_opened_in_production_mode_offers_test_mode(client, admin):
    sandbox = enrollment_in(admin, EnrollmentStatus.LIVE, "Harbor Dental")
    sandbox.mode = Mode.SANDBOX
    db.session.commit()
    client.post("/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"),
                                      "mode": "production"})  # fmt: skip
    text = client.get(f"/portal/institutions/{sandbox.id}/").get_data(as_text=True)
    assert "This page is in Test mode" in text and 'value="sandbox"' in text


def test_another_organizations_page_is_not_found_in_either_mode(client, admin):
    other = upgraded("Other Apps", "o@other.example")
    theirs = _pages(other)
    for path in theirs.values():
        assert client.get(path).status_code == 404


def test_production_is_not_offered_before_the_upgrade(client):
    user = upgraded("Acme Apps", "admin@acme.example")
    path = _pages(user)["institution"]
    user.organization.production_enabled = False
    db.session.commit()
    login(client, user.email)
    assert client.get(path).status_code == 404
