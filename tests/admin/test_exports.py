import csv
import io

from portal.admin_views import csv_exports
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


def test_a_download_is_sent_in_pieces_of_whole_lines_not_line_by_line(app, monkeypatch):
    monkeypatch.setattr(csv_exports, "CHUNK_CHARACTERS", 1000)
    written = [[n, f"Name {n}", "=formula"] for n in range(500)]
    with app.test_request_context():
        pieces = list(csv_exports.response(iter(written), "names.csv").response)

    assert 1 < len(pieces) < len(written) / 10  # a piece holds many lines
    assert all(piece.endswith("\r\n") for piece in pieces)  # each ends with a whole line
    assert all(len(piece) < 1000 + 40 for piece in pieces)  # at most one line over the size
    assert list(csv.reader(io.StringIO("".join(pieces)))) == [
        [str(n), f"Name {n}", "'=formula"] for n in range(500)
    ]


def test_a_format_not_offered_is_no_page_in_either_console(client, org_admin):
    login(client, "alice@alpha.example")
    assert client.get("/portal/users/export/xlsx/").status_code == 404
    assert client.get("/portal/users/export/csv/").status_code == 200
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    for path in ("/ops/users/export/xlsx/", "/ops/syncs/export/json/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/ops/syncs/export/csv/").status_code == 200
