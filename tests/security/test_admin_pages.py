"""Admin-only pages are admin-only on GET as well as POST: a form a Developer may not
submit is not shown to them either (403), and the sidebar does not offer it. (Developers
manage webhooks, so the Webhooks page is theirs too; see tests/web/test_roles.py.)"""

import pytest
from flask import current_app

from portal.models import Role
from portal.services.accounts import invitations, users
from tests.conftest import PASSWORD, csrf_token, login, signup

ADMIN_PAGES = {
    "Invite user": "/portal/users/invite/",
    "API Key": "/portal/api-key/",
    "Upgrade": "/portal/upgrade/",
    "Audit log": "/portal/audit/",
}


@pytest.fixture
def member_client(app):
    admin = signup("Alpha Apps", "alice@alpha.example")
    users.add_member(admin.organization, "m@alpha.example", "Mo", PASSWORD)
    invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=admin)
    client = app.test_client()
    login(client, "m@alpha.example")
    return client, admin


def test_a_member_gets_403_on_the_forms_only_admins_submit(member_client):
    client, admin = member_client
    invitation = invitations.pending_for(admin.organization)[0]
    pages = [
        *ADMIN_PAGES.values(),
        f"/portal/users/{admin.id}/delete",
        f"/portal/users/invitations/{invitation.id}/cancel",
    ]
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 403)


def test_the_sidebar_offers_a_member_no_admin_page(app, member_client):
    client, _ = member_client
    admin = app.test_client()
    login(admin, "alice@alpha.example")
    seen_by_admin = admin.get("/portal/users/").get_data(as_text=True)
    seen_by_member = client.get("/portal/users/").get_data(as_text=True)

    for label, path in ADMIN_PAGES.items():
        assert f'href="{path}"' in seen_by_admin, label
        assert f'href="{path}"' not in seen_by_member, label


def test_every_portal_form_refused_to_a_member_on_post_is_refused_on_get_too(member_client):
    client, _ = member_client
    token = csrf_token(client, "/portal/")
    checked = []
    for rule in list(current_app.url_map.iter_rules()):
        if not rule.rule.startswith("/portal/") or not {"GET", "POST"} <= rule.methods:
            continue
        values = {name: 1 for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        if client.post(path, data={"csrf_token": token}).status_code == 403:
            assert client.get(path).status_code == 403, rule.rule
            checked.append(rule.rule)
    assert len(checked) >= 4  # invite, delete, cancel, the API key and webhook forms
