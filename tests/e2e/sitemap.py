"""Every page a person can open, enumerated from the app's URL map and the consoles' views, so
that a new page is walked without anyone listing it. URL arguments come from the populated
world (tests/e2e/world.py); a page with an argument nobody knows fails loudly."""

from dataclasses import dataclass

from flask import Flask, session, url_for
from flask_login import login_user
from sqlalchemy import select

from portal.extensions import db
from portal.models import Enrollment, Mode
from portal.services.accounts import users
from tests.e2e import world as w

# Who opens pages under each prefix (the first match wins; the rest is anonymous). Pages
# without URL arguments are opened by each of the prefix's audiences, the others by the first.
AUDIENCES = (
    ("/portal/", ("admin", "newcomer")),
    ("/ops/", ("staff",)),
    ("/account/", ("newcomer", "staff")),  # the newcomer is setting up two-factor sign-in
    ("/", ("anonymous",)),
)
SIGNED_IN = {"admin": w.ADMIN, "newcomer": w.NEWCOMER, "staff": w.STAFF}
# Not pages: files, JSON, machine protocols, and endpoints that only redirect.
NOT_PAGES = ("static", ".export", ".ajax_lookup", ".ajax_update", "api.", "synchronizer.")
# Old console URLs that only redirect to the new ones.
MOVED = "moved_"
NOT_PAGE_ENDPOINTS = {
    "health.healthz",
    "health.readyz",
    "public.favicon",
    "portal_imports.progress_json",
    "ops_import.progress_json",
    "portal_sync_setup.index",
    # Shown only after a right password: walked after a POST (test_accessibility).
    "auth.sign_in_code",
}
ROW_VIEWS = {
    "create_view": "can_create",
    "edit_view": "can_edit",
    "details_view": "can_view_details",
}
# One-time links: the world holds them (the emails carry them).
LINKS = {
    "invitations.accept": "invitation",
    "auth.reset_password": "password_reset",
    "practice.sign_in": "practice_sign_in",
    "practice.access_request": "access_request",
    "practice_setup.page": "practice_setup",
}
# URL arguments: (endpoint or "*", argument) -> names of world ids (one page per id).
EVERY_ENROLLMENT = "every enrollment"
ARGUMENTS = {
    ("*", "enrollment_id"): ["enrollment_id"],
    ("portal_institutions.institution", "enrollment_id"): EVERY_ENROLLMENT,
    ("portal_institutions.select_locations", "enrollment_id"): ["needs_locations"],
    ("portal_institutions.activate_locations", "enrollment_id"): ["live"],
    ("portal_institutions.deactivate", "enrollment_id"): ["live"],
    ("portal_sync_setup.install_page", "sync_id"): ["installer_sync"],
    ("portal_sync_setup.regenerate", "sync_id"): ["installer_sync"],
    ("portal_institutions.cancel_request", "enrollment_id"): ["awaiting"],
    ("portal_sync_setup.credentials", "sync_id"): ["cloud_sync"],
    ("portal_sync_setup.windows", "sync_id"): ["scheduled_sync"],
    ("*", "batch_id"): ["bad_batch", "preview_batch", "batch_id"],
    ("portal_imports.result", "batch_id"): ["batch_id"],
    ("ops_import.result", "batch_id"): ["batch_id"],
    ("*", "user_id"): ["user_id"],
    ("portal_users.cancel_invitation", "invitation_id"): ["invitation_id"],
    ("practice.confirm_revoke", "app_id"): ["live"],
    ("*", "endpoint_id"): ["endpoint_id"],
    ("*", "call_id"): ["api_request"],
}


@dataclass(frozen=True)
class Page:
    who: str  # anonymous, practice, admin (in production), newcomer (test mode) or staff
    url: str
    endpoint: str


def pages(app: Flask, found: w.World) -> list[Page]:
    views = {view.endpoint: view for admin in app.extensions["admin"] for view in admin._views}
    walked: list[Page] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or _not_a_page(rule):
            continue
        audiences = next(who for prefix, who in AUDIENCES if rule.rule.startswith(prefix))
        for who in audiences[: 1 if rule.arguments else None]:
            with app.test_request_context():
                walked += _pages_of(rule, views.get(rule.endpoint.split(".")[0]), found, who)
    order = {"anonymous": 0, "practice": 1, "admin": 2, "newcomer": 3, "staff": 4}
    # Anonymous pages first: the practice's sign-in link must be seen before it is used.
    return sorted(dict.fromkeys(walked), key=lambda page: order[page.who])


def _not_a_page(rule) -> bool:
    return (
        rule.endpoint in NOT_PAGE_ENDPOINTS
        or rule.endpoint.startswith(MOVED)
        or any(part in rule.endpoint for part in NOT_PAGES)
        or rule.rule.endswith(".csv")
    )


def _pages_of(rule, view, found: w.World, who: str) -> list[Page]:
    endpoint, name = rule.endpoint, rule.endpoint.split(".")[-1]
    if endpoint in LINKS:
        urls = [found.links[LINKS[endpoint]]]
    elif name in ROW_VIEWS:
        urls = _row_pages(view, name, who)
    elif name == "bulk_view":
        urls = _bulk_pages(view, who)
    else:
        urls = [url_for(endpoint, **values) for values in _argument_sets(rule, found)]
    if name == "index_view":
        urls += _list_variants(view, who)
    if endpoint == "ops_import.index":
        urls.append(url_for(endpoint, org=found.slug))
    walked = [Page(who, url, endpoint) for url in urls]
    if endpoint == "practice.index":
        walked.append(Page("practice", rule.rule, endpoint))
    return walked


def _argument_sets(rule, found: w.World) -> list[dict]:
    sets: list[dict] = [{}]
    for argument in sorted(rule.arguments):
        names = ARGUMENTS.get((rule.endpoint, argument)) or ARGUMENTS.get(("*", argument))
        if names is None:
            raise LookupError(
                f"{rule.endpoint} takes <{argument}>: give tests/e2e/sitemap.py a value for it"
            )
        if names == EVERY_ENROLLMENT:
            values = _every_enrollment()
        else:
            values = [found.ids[name] for name in names]
        sets = [{**s, argument: value} for s in sets for value in values]
    return sets


def _every_enrollment() -> list[int]:
    """Each of the admin's production institutions: each status draws its page differently."""
    admin = users.find_user_by_email(w.ADMIN)
    query = select(Enrollment.id).where(
        Enrollment.organization_id == admin.organization_id, Enrollment.mode == Mode.PRODUCTION
    )
    return list(db.session.scalars(query.order_by(Enrollment.id)))


def _signed_in_as(who: str) -> None:
    """Sign the request context in as the audience, so scoped queries see its rows."""
    login_user(users.find_user_by_email(SIGNED_IN[who]))
    session["mode"] = Mode.SANDBOX if who == "newcomer" else Mode.PRODUCTION


def _first_row(view, who: str):
    _signed_in_as(who)
    return view.get_query().order_by(None).order_by(view.model.id).first()


def _row_pages(view, name: str, who: str) -> list[str]:
    if not getattr(view, ROW_VIEWS[name]):
        return []
    endpoint = f"{view.endpoint}.{name}"
    if name == "create_view":
        return [url_for(endpoint)]
    row = _first_row(view, who)
    assert row is not None or who == "newcomer", f"{endpoint}: the world has no row for it"
    return [] if row is None else [url_for(endpoint, id=row.id)]


def _list_variants(view, who: str) -> list[str]:
    """The list again with a search and with a filter applied (their controls differ)."""
    urls = []
    if getattr(view, "column_searchable_list", None):
        urls.append(url_for(f"{view.endpoint}.index_view", search="a"))
    filters = getattr(view, "_filters", None)
    if filters:
        _signed_in_as(who)
        options = filters[0].get_options(view) or [("a", "a")]
        arg = f"flt0_{view.get_filter_arg(0, filters[0])}"
        urls.append(url_for(f"{view.endpoint}.index_view", **{arg: options[0][0]}))
    return urls


def _bulk_pages(view, who: str) -> list[str]:
    """Each bulk action's confirmation, for the first row and for every row."""
    first, urls = _first_row(view, who), []
    for name, bulk in view.bulk_actions.items():
        if bulk.selected and bulk.confirm and first is not None:
            urls.append(url_for(f"{view.endpoint}.bulk_view", action=name, id=first.id))
        if bulk.all_matching:
            urls.append(url_for(f"{view.endpoint}.bulk_view", action=name, all=1))
    return urls
