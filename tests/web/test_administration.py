import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ApiKey, Invitation, Mode, UpgradeRequest, User
from portal.services.accounts import api_keys, upgrades, users
from tests.admin.test_page_words import shown_text
from tests.conftest import PASSWORD, csrf_token, login


@pytest.fixture
def member(org_admin):
    return users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)


def post(client, path, data=None, page="/portal/"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def test_a_member_cannot_reach_admin_pages_or_actions(client, org_admin, member):
    login(client, "m@alpha.example")
    assert client.get("/portal/api-key/").status_code == 403
    assert client.get("/portal/upgrade/").status_code == 403
    assert post(client, "/portal/api-key/create").status_code == 403
    assert post(client, f"/portal/users/{org_admin.id}/role", {"role": "viewer"}).status_code == 403
    assert post(client, f"/portal/users/{org_admin.id}/delete").status_code == 403
    invite = post(client, "/portal/users/invite/", {"email": "x@alpha.example"})
    assert invite.status_code == 403
    users_page = client.get("/portal/users/").get_data(as_text=True)
    assert "Invite user" not in users_page and "Make Viewer" not in users_page
    assert db.session.scalar(select(func.count(ApiKey.id))) == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    db.session.refresh(org_admin)
    assert org_admin.is_admin


def test_a_deleted_users_copied_session_stops_working(app, client, org_admin, member):
    other = app.test_client()
    login(other, "m@alpha.example")
    assert other.get("/portal/").status_code == 200
    login(client, "alice@alpha.example")
    response = post(client, f"/portal/users/{member.id}/delete")
    assert response.status_code == 302
    assert other.get("/portal/").status_code == 302
    assert db.session.scalar(select(func.count(User.id)).where(User.id == member.id)) == 0


def test_the_key_is_shown_once_and_afterwards_only_its_fingerprint(client, org_admin):
    login(client, "alice@alpha.example")
    created = post(client, "/portal/api-key/create", page="/portal/api-key/")
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    raw = re.search(r"sp_test_[0-9A-Za-z]{36}", created.get_data(as_text=True)).group(0)
    assert "/api/authenticates" in created.get_data(as_text=True)
    listing = client.get("/portal/api-key/").get_data(as_text=True)
    assert raw not in listing and f"sp_test_…{raw[-4:]}" in listing
    assert api_keys.find_usable(raw) is not None


def test_rotation_from_the_page_shows_a_new_key_and_keeps_the_old_for_the_grace(client, org_admin):
    old = api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    login(client, "alice@alpha.example")
    page = "/portal/api-key/"
    asked = post(client, f"{page}{old.key.id}/rotate", {"grace": "1h"}, page=page)
    assert "keeps working for" in asked.get_data(as_text=True)
    assert api_keys.current_key(org_admin.organization, Mode.SANDBOX).id == old.key.id
    rotated = post(
        client, f"{page}{old.key.id}/rotate", {"grace": "1h", "confirmed": "1"}, page=page
    )
    new_raw = re.search(r"sp_test_[0-9A-Za-z]{36}", rotated.get_data(as_text=True)).group(0)
    assert new_raw != old.raw
    assert api_keys.find_usable(old.raw) is not None
    assert api_keys.find_usable(new_raw) is not None
    # A tab opened before the rotation asks no question about a key already replaced.
    stale = post(client, f"{page}{old.key.id}/rotate", {"grace": "now"}, page=page)
    assert stale.status_code == 302
    shown = client.get(stale.location).get_data(as_text=True)
    assert "This key was already rotated" in shown and "keeps working for" not in shown


def test_another_organizations_key_cannot_be_rotated(client, org_admin):
    from tests.conftest import signup

    bob = signup("Bravo", "bob@bravo.example")
    theirs = api_keys.create(bob.organization, Mode.SANDBOX, actor=bob)
    login(client, "alice@alpha.example")
    page = "/portal/api-key/"
    response = post(
        client, f"{page}{theirs.key.id}/rotate", {"grace": "now", "confirmed": "1"}, page=page
    )
    assert response.status_code == 404
    assert api_keys.find_usable(theirs.raw) is not None


def test_the_accept_page_names_the_organization_and_only_its_post_creates(
    client, org_admin, mailbox
):
    login(client, "alice@alpha.example")
    post(
        client,
        "/portal/users/invite/",
        {"email": "new@alpha.example"},
        page="/portal/users/invite/",
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    path = (
        "/invitations/"
        + mailbox.bodies_to("new@alpha.example")[0].split("/invitations/")[1].split()[0]
    )
    page = client.get(path)
    client.head(path)
    assert "Join Alpha Apps" in page.get_data(
        as_text=True
    ) and "new@alpha.example" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "name": "Nu", "password": PASSWORD}
    )
    assert response.status_code == 302 and client.get("/portal/").status_code == 200
    gone = client.get(path)
    assert gone.status_code == 404 and "no longer valid" in gone.get_data(as_text=True)
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_staff_approve_and_reject_upgrades_in_bulk(client, org_admin, mailbox):
    from tests.conftest import signup

    bob = signup("Bravo", "bob@bravo.example")
    first = upgrades.request_upgrade(
        org_admin.organization,
        legal_name="Alpha Inc",
        billing_email="b@alpha.example",
        expected_practices=3,
        actor=org_admin,
    )
    second = upgrades.request_upgrade(
        bob.organization,
        legal_name="Bravo Inc",
        billing_email="b@bravo.example",
        expected_practices=3,
        actor=bob,
    )
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    listing = "/ops/upgrade-requests/"
    approved = post(
        client, f"{listing}action/", {"action": "approve", "rowid": [first.id]}, page=listing
    )
    assert approved.status_code == 302
    to_reject = post(
        client, f"{listing}action/", {"action": "reject", "rowid": [second.id]}, page=listing
    )
    reason_page = to_reject.headers["Location"]
    assert "Bravo" in client.get(reason_page).get_data(as_text=True)
    post(client, reason_page, {"reason": "Company not verified"}, page=reason_page)
    db.session.expire_all()
    assert db.session.get(UpgradeRequest, first.id).organization.production_enabled
    assert db.session.get(UpgradeRequest, second.id).reason == "Company not verified"
    assert "Company not verified" in mailbox.bodies_to("b@bravo.example")[0]


def test_org_admins_read_their_own_audit_log(client, org_admin):
    api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    login(client, "alice@alpha.example")
    page = shown_text(client.get("/portal/audit/").get_data(as_text=True))
    assert "API key: created" in page and "Organization: signup" in page
    assert "api_key.created" not in page  # the filter's option values aside, never shown


def test_a_role_change_is_confirmed_with_the_roles_name(client, org_admin, member):
    login(client, "alice@alpha.example")
    path = f"/portal/users/{member.id}/role"
    token = csrf_token(client, "/portal/users/")
    changed = client.post(path, data={"csrf_token": token, "role": "admin"}, follow_redirects=True)
    assert "Mo is now Admin." in shown_text(changed.get_data(as_text=True))
