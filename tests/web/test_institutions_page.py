"""The Institutions page: creating institutions, tabs, counts, search, filter, next actions."""

import re

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import EnrollmentStatus, Institution, Mode, SyncStage
from portal.services import commit
from tests.conftest import csrf_token, login, signup
from tests.onboarding import enrollment_in, sync_in, upgraded

LIST = "/portal/institutions/"
FORM = {
    "name": "Hudson Family Dental",
    "street_address": "12 River Road",
    "city": "Albany",
    "state": "NY",
    "zip_code": "12207",
    "phone_number": "+1 (518) 555-0199",
    "email": "desk@hudson.example",
    "website": "hudson.example",
}


@pytest.fixture
def developer(client):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/")
    client.post("/portal/mode", data={"csrf_token": token, "mode": "production"})
    return user


def _create(client, **changes):
    token = csrf_token(client, f"{LIST}add/")
    return client.post(f"{LIST}add/", data={"csrf_token": token, **FORM, **changes})


def test_a_created_institution_is_normalised_and_waits_in_to_do_with_create_sync(client, developer):
    response = _create(client)
    assert response.status_code == 302 and "tab=todo" in response.headers["Location"]
    institution = db.session.scalars(
        select(Institution).where(Institution.mode == Mode.PRODUCTION)
    ).one()
    assert institution.subdomain == "hudson-family-dental"
    assert institution.phone_digits == "5185550199" and institution.street_key == "12 river rd"
    assert institution.name_key == "hudson family dental"
    assert institution.website == "https://hudson.example"
    page = client.get(f"{LIST}?tab=todo").get_data(as_text=True)
    assert "Hudson Family Dental" in page and "Create sync" in page


def test_subdomains_stay_unique_when_names_repeat(client, developer):
    _create(client)
    # A practice of the same name in another town (the same one is offered, not created).
    _create(client, city="Troy", zip_code="12180", phone_number="(518) 555-0188")
    subdomains = db.session.scalars(
        select(Institution.subdomain).where(Institution.mode == Mode.PRODUCTION)
    ).all()
    assert len(set(subdomains)) == 2


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("phone_number", "555-01", "10-digit US phone number"),
        ("email", "not-an-email", "Enter an email address"),
        ("zip_code", "1220", "5-digit ZIP code"),
        ("website", "http://localhost", "Enter a web address"),
        ("state", "ZZ", "Not a valid choice"),
        ("name", "", "Enter the institution name."),
    ],
)
def test_bad_details_are_refused_with_a_message_next_to_the_field(
    client, developer, field, value, message
):
    response = _create(client, **{field: value})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Institution).where(Institution.mode == Mode.PRODUCTION)) is None


def test_test_mode_offers_no_new_institutions(client):
    signup("Alpha Apps", "alice@alpha.example")
    login(client, "alice@alpha.example")
    response = _create(client)
    assert "Switch to production mode" in response.get_data(as_text=True)
    assert db.session.scalar(select(Institution).where(Institution.mode == Mode.PRODUCTION)) is None


@pytest.fixture
def mixed(developer):
    """Nine enrollments across every tab, plus another organization's row."""
    statuses = {
        "Aspen Dental Care": EnrollmentStatus.NEEDS_SYNC,
        "Birch Smiles": EnrollmentStatus.NEEDS_CREDENTIALS,
        "Cedar Ortho": EnrollmentStatus.NEEDS_SCHEDULE,
        "Dogwood Dental": EnrollmentStatus.NEEDS_LOCATIONS,
        "Elm Street Dental": EnrollmentStatus.INSTALLING,
        "Fir Family Dental": EnrollmentStatus.FAILED,
        "Ginkgo Dental": EnrollmentStatus.LIVE,
        "Hazel Smiles": EnrollmentStatus.LIVE,
        "Ivy Ortho": EnrollmentStatus.DEACTIVATED,
    }
    made = {name: enrollment_in(developer, status, name) for name, status in statuses.items()}
    other = upgraded("Bravo Apps", "bob@bravo.example")
    enrollment_in(other, EnrollmentStatus.NEEDS_SYNC, "Juniper Secret Dental")
    return made


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/portal/institutions/\d+/">([^<]+)</a>', page)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("tab=todo", {"Aspen Dental Care", "Birch Smiles", "Cedar Ortho", "Dogwood Dental"}),
        ("tab=in_progress", {"Elm Street Dental", "Fir Family Dental"}),
        ("tab=all", None),
        ("tab=all&search=smiles", {"Birch Smiles", "Hazel Smiles"}),
        ("tab=todo&search=dental", {"Aspen Dental Care", "Dogwood Dental"}),
        ("tab=all&status=live", {"Ginkgo Dental", "Hazel Smiles"}),
        ("tab=in_progress&status=failed", {"Fir Family Dental"}),
        ("tab=todo&status=live", set()),
    ],
)
def test_tabs_search_and_filter_agree_with_the_data(client, mixed, query, expected):
    page = client.get(f"{LIST}?{query}").get_data(as_text=True)
    assert "Juniper Secret Dental" not in page
    assert set(_names(page)) == (expected if expected is not None else set(mixed))


def test_tab_counts_count_this_organizations_rows_in_this_mode(client, mixed):
    page = client.get(LIST).get_data(as_text=True)
    counts = dict(re.findall(r'data-testid="tab-(\w+)".*?tab-count">(\d+)<', page, re.S))
    assert counts == {"todo": "4", "in_progress": "2", "all": "9"}


def test_each_row_offers_its_one_next_action(client, mixed):
    sync_in(mixed["Fir Family Dental"], "dentrix", SyncStage.FAILED)
    sync_in(mixed["Birch Smiles"], "denticon", SyncStage.NEEDS_CREDENTIALS)
    page = client.get(f"{LIST}?tab=all").get_data(as_text=True)
    actions = re.findall(
        r'data-testid="next-action">\s*(?:<form[^>]*>\s*<input[^>]*>\s*)?<(?:a|button)[^>]*>([^<]+)<',
        page,
    )
    assert {
        "Create sync",
        "Provide credentials",
        "Select locations",
        "Retry",
        "Sync status",
    } <= set(actions)
    assert 'method="post"' in page  # the self-installer Retry is a POST with a CSRF token


def test_the_page_costs_the_same_queries_for_5_rows_or_25(client, developer):
    def queries_for(rows: int) -> int:
        for i in range(
            rows - len(_names(client.get(f"{LIST}?page_size=50").get_data(as_text=True)))
        ):
            enrollment = enrollment_in(developer, EnrollmentStatus.INSTALLING, f"Practice {i:03d}")
            sync_in(enrollment, "dentrix", SyncStage.INSTALLING)
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get(f"{LIST}?page_size=50")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries_for(5) == queries_for(25)


def test_sorting_by_status_keeps_a_stable_order_across_pages(client, developer):
    for i in range(30):
        enrollment_in(developer, EnrollmentStatus.INSTALLING, f"Practice {i:02d}")
    commit()
    first = _names(client.get(f"{LIST}?sort=1&page=0").get_data(as_text=True))
    second = _names(client.get(f"{LIST}?sort=1&page=1").get_data(as_text=True))
    assert len(first) == 20 and len(set(first) | set(second)) == 30
