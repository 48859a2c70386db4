import csv
import io

from portal.services.accounts import users
from tests.conftest import PASSWORD, login, signup


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_exports_neutralise_spreadsheet_formulas(client, org_admin):
    for i, name in enumerate(
        ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "Plain"]
    ):
        users.add_member(org_admin.organization, f"u{i}@alpha.example", name, PASSWORD)
    login(client, "alice@alpha.example")
    response = client.get("/portal/users/export/csv/")
    assert response.is_streamed and response.mimetype == "text/csv"
    names = {row[0] for row in rows(response)[1:]}
    assert {'\'=HYPERLINK("http://x")', "'+1+1", "'-2", "'@SUM(A1)", "'\tTab", "Plain"} <= names


def test_exports_follow_the_current_search_and_filters(client, org_admin):
    signup("Bravo", "bob@bravo.example")
    users.add_member(org_admin.organization, "zed@alpha.example", "Zed", PASSWORD)
    login(client, "alice@alpha.example")
    searched = rows(client.get("/portal/users/export/csv/?search=zed"))
    assert [row[1] for row in searched[1:]] == ["zed@alpha.example"]
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    everyone = rows(client.get("/ops/users/export/csv/"))
    staff_only = rows(client.get("/ops/users/export/csv/?flt0_is_staff_equals=1"))
    assert len(everyone) - 1 == 4
    assert [row[0] for row in staff_only[1:]] == ["s@ops.example"]
