"""The audit log's CSV export, for an organization's Owners and Admins (/portal/audit) and for
staff (/ops/audit): offered on both pages, streamed, exactly the rows the list's filters
select, never another organization's, actions in words, no cell a spreadsheet would run."""

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role
from portal.services import audit, commit
from portal.services.accounts import users
from tests.conftest import PASSWORD, login, signup

PORTAL, OPS = "/portal/audit/", "/ops/audit/"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def orgs():
    """Alpha's log: two kinds of action by two people, one of them named like a formula;
    Bravo's log: the same actions, which Alpha must never see."""
    alice = signup("Alpha Apps", "alice@alpha.example", "Alice")
    mallory = users.add_member(alice.organization, "-mallory@alpha.example", "M", PASSWORD)
    bob = signup("Bravo Apps", "bob@bravo.example", "Bob")
    for actor in (alice, mallory, bob):
        for _ in range(2):
            audit.record("api_key.created", actor=actor)
        audit.record("webhook_endpoint.test_sent", actor=actor)
    audit.record("upgrade.requested", actor=bob)  # an action only Bravo's log holds
    typed = audit.record("denied.sign_in", actor=None, organization=alice.organization)
    typed.actor_email = FORMULA  # what someone typed into the sign-in form
    commit()
    users.create_staff("olive@ops.example", PASSWORD)
    return alice, bob


def org_rows(org_id: int, **where) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.organization_id == org_id)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return db.session.scalars(query).all()


def test_both_audit_pages_offer_the_export_with_their_filters(client, orgs):
    login(client, "alice@alpha.example")
    page = client.get(f"{PORTAL}?flt0_who_equals=bob").get_data(as_text=True)
    assert f'href="{PORTAL}export/csv/?flt0_who_equals=bob"' in page
    login(client, "olive@ops.example")
    page = client.get(OPS).get_data(as_text=True)
    assert f'href="{OPS}export/csv/"' in page


def test_the_download_is_streamed_with_the_pages_columns(client, orgs):
    login(client, "alice@alpha.example")
    response = client.get(f"{PORTAL}export/csv/")
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == ["When", "Who", "What happened", "Record", "Record number", "Details"] + [
        "Client address"
    ]


def test_the_download_holds_exactly_the_rows_the_filters_select(client, orgs):
    alice, _ = orgs
    login(client, "alice@alpha.example")
    everything = rows(client.get(f"{PORTAL}export/csv/"))
    assert len(everything) == len(org_rows(alice.organization_id))  # sign-in rows included

    by_action = rows(client.get(f"{PORTAL}export/csv/?flt0_what_happened_equals=api_key.created"))
    assert len(by_action) == len(org_rows(alice.organization_id, action="api_key.created")) == 4
    assert {row["What happened"] for row in by_action} == {"API key: created"}

    both = f"{PORTAL}export/csv/?flt0_what_happened_equals=api_key.created&flt1_who_equals="
    mine = rows(client.get(both + "alice@alpha.example"))
    assert [row["Who"] for row in mine] == ["alice@alpha.example"] * 2


def test_actions_read_as_the_page_shows_them(client, orgs):
    login(client, "alice@alpha.example")
    shown = {row["What happened"] for row in rows(client.get(f"{PORTAL}export/csv/"))}
    assert "Webhook endpoint: test sent" in shown and "API key: created" in shown
    assert not any("." in words or "_" in words for words in shown)
    page = client.get(PORTAL).get_data(as_text=True)
    assert all(words in page for words in shown)


def test_an_admin_never_gets_another_organizations_rows_whatever_the_filters_say(client, orgs):
    alice, bob = orgs
    login(client, "alice@alpha.example")
    tampered = (
        "flt0_who_equals=bob@bravo.example",
        f"flt0_organization_equals={bob.organization_id}",
        f"flt0_organization_id_equals={bob.organization_id}",
        "flt0_who_contains=bravo&flt1_who_not_equal=x",
        "flt0_what_happened_not_equal=none&search=bravo",
        "flt0_who_in_list=bob@bravo.example,alice@alpha.example",
    )
    for query in tampered:
        response = client.get(f"{PORTAL}export/csv/?{query}")
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and "bravo" not in text.lower(), query
    assert len(rows(client.get(f"{PORTAL}export/csv/?{tampered[0]}"))) == 0


def test_staff_export_every_organizations_rows_filtered_as_the_list_is(client, orgs):
    login(client, "olive@ops.example")
    everything = rows(client.get(f"{OPS}export/csv/"))
    assert {"alice@alpha.example", "bob@bravo.example"} <= {row["Who"] for row in everything}
    bobs = rows(client.get(f"{OPS}export/csv/?flt0_who_equals=bob@bravo.example"))
    assert len(bobs) == len(db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_email == "bob@bravo.example")
    ).all()) and {row["Organization"] for row in bobs} == {"Bravo Apps"}  # fmt: skip


@pytest.mark.parametrize("prefix", [PORTAL, OPS])
def test_no_cell_reaches_a_spreadsheet_as_a_formula(client, orgs, prefix):
    login(client, "olive@ops.example" if prefix == OPS else "alice@alpha.example")
    who = {row["Who"] for row in rows(client.get(f"{prefix}export/csv/"))}
    assert "'" + FORMULA in who and "'-mallory@alpha.example" in who
    assert FORMULA not in who and "-mallory@alpha.example" not in who


@pytest.mark.parametrize("role", [Role.DEVELOPER, Role.VIEWER])
def test_developers_and_viewers_are_refused_the_export_and_it_is_audited(app, orgs, role):
    alice, _ = orgs
    address = f"{role.value}@alpha.example"
    users.add_member(alice.organization, address, role.label, PASSWORD, role)
    client = app.test_client()
    login(client, address)
    response = client.get(f"{PORTAL}export/csv/")
    assert response.status_code == 403 and response.mimetype != "text/csv"
    [denied] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "permission.denied")
    ).all()
    assert denied.actor_email == address and denied.details["page"] == f"{PORTAL}export/csv/"


def offered(page: str) -> dict[str, str]:
    """The "What happened equals" filter's dropdown: {value sent: words shown}."""
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page).group(1))
    [equals] = [item for item in groups["What happened"] if item["operation"] == "equals"]
    return dict(equals["options"])


def test_the_what_happened_filter_offers_the_logs_own_actions_in_words(client, orgs):
    alice, bob = orgs
    login(client, "alice@alpha.example")
    mine = offered(client.get(PORTAL).get_data(as_text=True))
    assert set(mine) == {e.action for e in org_rows(alice.organization_id)}
    assert mine["api_key.created"] == "API key: created" and "upgrade.requested" not in mine
    assert list(mine.values()) == sorted(mine.values(), key=str.lower)
    chosen = rows(client.get(f"{PORTAL}export/csv/?flt0_what_happened_equals=api_key.created"))
    assert {row["What happened"] for row in chosen} == {mine["api_key.created"]}

    login(client, "olive@ops.example")
    everyone = offered(client.get(OPS).get_data(as_text=True))
    assert everyone["upgrade.requested"] == "Upgrade: requested" and set(mine) <= set(everyone)


def test_every_recorded_action_is_found_once_by_skipping_along_the_index(orgs):
    alice, _ = orgs
    everything = set(db.session.scalars(select(AuditEvent.action)))
    found = audit.actions_recorded()
    assert sorted(found) == sorted(everything) and len(found) == len(set(found))
    assert set(audit.actions_recorded(alice.organization)) == {
        e.action for e in org_rows(alice.organization_id)
    }
