"""The consoles answer at readable URLs; the old ones redirect there, keeping the method,
the path below and the query string, so bookmarks and links in old emails still land."""

import pytest

from tests.conftest import csrf_token, login

MOVED = [
    ("/portal/portal_institutions/", "/portal/institutions/"),
    ("/portal/portal_syncs/?flt0_health_is=red", "/portal/sync-status/?flt0_health_is=red"),
    ("/portal/portal_users/invite/", "/portal/users/invite/"),
    ("/portal/portal_api_key/", "/portal/api-key/"),
    ("/portal/portal_usage/", "/portal/usage/"),
    ("/portal/portal_upgrade/", "/portal/upgrade/"),
    ("/portal/portal_audit/", "/portal/audit/"),
    ("/ops/ops_syncs/?flt0_status_equals=installing", "/ops/syncs/?flt0_status_equals=installing"),
    ("/ops/ops_upgrade_requests/", "/ops/upgrade-requests/"),
    ("/ops/ops_activation_requests/", "/ops/activation-requests/"),
    (
        "/ops/ops_access_requests/bulk/?action=cancel&all=1",
        "/ops/access-requests/bulk/?action=cancel&all=1",
    ),
    ("/ops/ops_outbound_emails/", "/ops/outbox/"),
    ("/ops/ops_audit_events/", "/ops/audit/"),
    ("/ops/ops_import_batches/", "/ops/imports/"),
    ("/ops/ops_usage/", "/ops/usage/"),
]


@pytest.mark.parametrize("old, new", MOVED)
def test_an_old_console_url_redirects_permanently_to_its_readable_one(client, old, new):
    response = client.get(old)
    assert response.status_code == 308
    assert response.headers["Location"] == new


def test_a_form_posted_to_an_old_url_keeps_its_method_and_lands(client, org_admin):
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/users/invite/")
    form = {"csrf_token": token, "email": "new@alpha.example"}
    old = client.post("/portal/portal_users/invite/", data=form)
    # 308, unlike 301/302, tells the browser to send the same POST, body and all, again.
    assert old.status_code == 308 and old.headers["Location"] == "/portal/users/invite/"
    sent = client.post(old.headers["Location"], data=form, follow_redirects=True)
    assert "Invitation sent to new@alpha.example" in sent.get_data(as_text=True)


def test_the_readable_urls_serve_the_pages(client, org_admin):
    login(client, "alice@alpha.example")
    for path in ("/portal/institutions/", "/portal/sync-status/", "/portal/users/"):
        assert client.get(path).status_code == 200, path
