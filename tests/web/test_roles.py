"""Every role against every `/portal` page and action: opened or sent by a role that may, it is
not refused; by a role that may not, it is a 403 (and an audit row) before anything happens,
and the menu does not offer it. The table below is the expectation; a new console URL
without a line in it fails the test."""

import re

import pytest
from sqlalchemy import func, select

from portal.admin_views.base import PortalAccess
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Invitation, Role, User, WebhookEndpoint
from portal.services.accounts import users
from tests.conftest import PASSWORD, csrf_token, login
from tests.e2e import sitemap, world

ALL = frozenset(Role)
BUILDERS = frozenset({Role.OWNER, Role.ADMIN, Role.DEVELOPER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})

# Each console view: (who opens its pages, who sends its forms).
VIEWS = {
    "portal": (ALL, ALL),  # Home, and the Test/Production switch
    "quickstartview": (ALL, ALL),  # no forms
    "portal_usage": (ALL, ALL),  # no forms
    "portal_issues": (ALL, BUILDERS),  # Snooze
    "portal_institutions": (ALL, BUILDERS),
    "portal_syncs": (ALL, BUILDERS),
    "portal_sync_setup": (BUILDERS, BUILDERS),  # install pages show product keys
    "portal_imports": (BUILDERS, BUILDERS),
    "portal_webhooks": (BUILDERS, BUILDERS),
    "portal_requests": (BUILDERS, BUILDERS),  # request details: not for Viewers
    "portal_sandbox": (BUILDERS, BUILDERS),
    "portal_users": (ALL, ADMINS),
    "portal_api_key": (ADMINS, ADMINS),
    "portal_upgrade": (ADMINS, ADMINS),
    "portal_audit": (ADMINS, ADMINS),
}
# Pages that show a form: only those who may send it open them.
FORM_PAGES = {
    "portal_institutions.create_institution",
    "portal_institutions.create_sync",
    "portal_institutions.select_locations",
    "portal_institutions.activate_locations",
    "portal_institutions.deactivate",
    "portal_institutions.cancel_request",
    "portal_users.invite",
    "portal_users.delete_user",
    "portal_users.cancel_invitation",
    "portal_users.reset_two_factor",
}
# The menu entries, by their address, and who sees each.
MENU = {
    "/portal/issues/": ALL,
    "/portal/institutions/": ALL,
    "/portal/sync-status/": ALL,
    "/portal/users/": ALL,
    "/portal/usage/": ALL,
    "/portal/quickstart/": ALL,
    "/portal/webhooks/": BUILDERS,
    "/portal/requests/": BUILDERS,
    "/portal/api-key/": ADMINS,
    "/portal/upgrade/": ADMINS,
    "/portal/audit/": ADMINS,
}
PEOPLE = {
    Role.OWNER: world.ADMIN,
    Role.ADMIN: "adam@alpha.example",
    Role.DEVELOPER: world.MEMBER,
    Role.VIEWER: "vera@alpha.example",
}
# Arguments the page walk does not need; a made-up id is refused (403) or not found (404).
OTHER_ARGUMENTS = {"export_type": "csv", "verb": "resend", "rest": "x"}
NOBODY = 999_999


@pytest.fixture
def clients(app):
    """The populated world, with one signed-in client per role of Alpha Apps (in production)."""
    found = world.build()
    alice = users.find_user_by_email(world.ADMIN)
    users.add_member(alice.organization, PEOPLE[Role.ADMIN], "Adam", PASSWORD, Role.ADMIN)
    users.add_member(alice.organization, PEOPLE[Role.VIEWER], "Vera", PASSWORD, Role.VIEWER)
    signed_in = {}
    for role, address in PEOPLE.items():
        client = app.test_client()
        login(client, address)
        client.token = csrf_token(client, "/portal/")  # one per session
        client.post("/portal/mode", data={"mode": "production", "csrf_token": client.token})
        signed_in[role] = client
    return found, signed_in


def console_urls(app, found) -> list[tuple[str, str, str, str]]:
    """(endpoint, method, URL with the world's ids, with made-up ids) for each /portal rule."""
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/portal/") or rule.endpoint in ("portal.static",):
            continue
        if rule.endpoint.startswith(sitemap.MOVED):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            rules.append((rule, method))
    urls = []
    for rule, method in sorted(rules, key=lambda pair: (pair[0].rule, pair[1])):
        real = {a: _real(rule.endpoint, a, found) for a in rule.arguments}
        made_up = {a: OTHER_ARGUMENTS.get(a, NOBODY) for a in rule.arguments}
        urls.append((rule.endpoint, method, _build(rule, real), _build(rule, made_up)))
    return urls


def _real(endpoint: str, argument: str, found):
    names = sitemap.ARGUMENTS.get((endpoint, argument)) or sitemap.ARGUMENTS.get(("*", argument))
    if names and names != sitemap.EVERY_ENROLLMENT:
        return found.ids[names[0]]
    if names == sitemap.EVERY_ENROLLMENT:
        return found.ids["live"]
    return OTHER_ARGUMENTS.get(argument, NOBODY)


def _build(rule, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def allowed(endpoint: str, method: str) -> frozenset:
    view = endpoint.split(".")[0]
    assert view in VIEWS, f"{endpoint}: say in tests/web/test_roles.py which roles may use it"
    reads, writes = VIEWS[view]
    return writes if method == "POST" or endpoint in FORM_PAGES else reads


def disabled_row_views(app) -> set[str]:
    """Flask-Admin's create, edit and delete views that a list turns off: they do not exist
    (404) for anyone."""
    views = [view for admin in app.extensions["admin"] for view in admin._views]
    flags = {"create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete"}
    return {
        f"{view.endpoint}.{name}"
        for view in views
        for name, flag in flags.items()
        if not getattr(view, flag, True)
    }


def counts() -> tuple:
    tables = (User, ApiKey, Invitation, WebhookEndpoint)
    return tuple(db.session.scalar(select(func.count(t.id))) for t in tables)


def test_each_role_opens_and_sends_exactly_what_its_role_allows(app, clients):
    found, signed_in = clients
    urls = console_urls(app, found)
    assert len(urls) > 80  # the whole console, not a sample
    before, wrong, missing = counts(), [], disabled_row_views(app)
    for endpoint, method, real_url, made_up_url in urls:
        may = allowed(endpoint, method)
        for role, client in signed_in.items():
            # Refused requests carry the real ids (nothing may happen to them); allowed POSTs
            # carry made-up ids, so the walk changes nothing while it checks them.
            url = real_url if method == "GET" or role not in may else made_up_url
            status = _send(client, method, url).status_code
            if endpoint in missing:  # turned off: not found, or refused before that
                ok = status == 404 or (status == 403 and role not in may)
            else:
                ok = (status == 403) != (role in may) and status < 500
            if not ok:
                wrong.append(f"{role.label} {method} {url}: {status}")
    assert not wrong, "\n".join(wrong)
    assert counts() == before


def test_refusals_by_role_are_audited(clients):
    _, signed_in = clients
    assert signed_in[Role.VIEWER].get("/portal/api-key/").status_code == 403
    denied = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "permission.denied")
    ).all()
    assert [e.details["page"] for e in denied] == ["/portal/api-key/"]
    assert denied[0].actor_email == PEOPLE[Role.VIEWER] and denied[0].details["role"] == "Viewer"


def test_the_menu_offers_each_role_only_its_pages(clients):
    _, signed_in = clients
    for role, client in signed_in.items():
        page = client.get("/portal/").get_data(as_text=True)
        menu = page.split('id="console-menu"')[1].split("</nav>")[0]
        for address, who in MENU.items():
            assert (f'href="{address}"' in menu) == (role in who), (role, address)


def test_a_viewer_sees_institutions_but_no_product_key_or_action(clients):
    found, signed_in = clients
    path = f"/portal/institutions/{found.ids['enrollment_id']}/"
    viewer = signed_in[Role.VIEWER].get(path).get_data(as_text=True)
    developer = signed_in[Role.DEVELOPER].get(path).get_data(as_text=True)
    assert 'data-testid="product-key"' in developer and "Regenerate key" in developer
    assert 'data-testid="product-key"' not in viewer and "Regenerate key" not in viewer
    assert "Installing Dental" in viewer
    listing = signed_in[Role.VIEWER].get("/portal/institutions/").get_data(as_text=True)
    assert "Create Institution" not in listing and "Upload CSV" not in listing


def _send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": client.token})


def test_a_view_still_marked_admin_only_is_refused_rather_than_left_open():
    with pytest.raises(TypeError, match="reads"):

        class OldStyle(PortalAccess):
            admin_only = True
