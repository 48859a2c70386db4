"""Every CSV download of both consoles goes through one writer: downloaded over real HTTP
(so a generator that loses its context breaks the download, as it did in production), with
every text in the database made to start like a formula, no cell reaches a spreadsheet as
one, relationship columns and the import's files included."""

import csv
import io
import re
import threading
import time

import httpx
import pytest
from flask import current_app
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import Enum, String, Text, case, func, select, update

from portal import clock
from portal.admin_views import csv_exports
from portal.admin_views.csv_exports import FORMULA_STARTS, cell
from portal.extensions import db
from portal.models import (
    GrantStatus,
    ImportBatch,
    Location,
    LocationGrant,
    Mode,
    PendingWrite,
    Role,
    Sync,
    WriteKind,
    WriteStatus,
)
from portal.services import commit
from portal.services.accounts import invitations, upgrades, users
from portal.services.imports import applying, csv_import
from portal.services.onboarding import activations, consent
from portal.services.webhooks import deliveries
from tests.conftest import PASSWORD
from tests.onboarding import live_practice, upgraded
from tests.services.test_csv_import import row, to_csv
from tests.webhook_receiver import Receiver
from tests.webhooks_world import hooked, patient_created

OUR_WORDS = ("sample.csv", "errors.csv")  # downloads whose cells are our own words
UNTOUCHED = {"ehr"}  # a code the pages look up; the rest of the text can be anything


def _world() -> int:
    """Rows in every table a console lists; returns the id of an applied import batch."""
    practice = live_practice("desk@shared.example", offices=3)
    owner = users.find_user_by_email("a@alpha.example")
    [mine] = [e for e in _enrollments() if e.organization_id == owner.organization_id]
    locations = db.session.scalars(
        select(Location).where(Location.institution_id == practice.id).order_by(Location.id)
    ).all()
    for location in locations[:2]:
        db.session.add(
            LocationGrant(
                enrollment=mine,
                location=location,
                status=GrantStatus.ACTIVE,
                activated_at=clock.now(),
            )
        )
    commit()
    activations.request(mine, [locations[2].id], actor=owner)
    sync = db.session.scalar(select(Sync).where(Sync.institution_id == practice.id))
    db.session.add(  # a booking the practice refused, for the staff list of writes
        PendingWrite(
            sync_id=sync.id,
            location_id=locations[0].id,
            organization_id=owner.organization_id,
            kind=WriteKind.APPOINTMENT_CREATE,
            status=WriteStatus.FAILED,
            reason="The slot was taken at the practice meanwhile.",
            deadline_at=clock.now(),
        )
    )
    commit()
    bravo = users.signup(
        organization_name="Bravo Apps",
        name="Bea",
        email_address="b@bravo.example",
        password=PASSWORD,
    )
    consent.request_access(practice, actor=_upgraded(bravo))
    carol = upgraded("Carol Apps", "c@carol.example")
    carol.organization.production_enabled = False
    commit()
    upgrades.request_upgrade(
        carol.organization,
        legal_name="Carol LLC",
        billing_email="c@carol.example",
        expected_practices=2,
        actor=carol,
    )
    invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=owner)
    batch = csv_import.upload(
        owner.organization, "a.csv", to_csv([row("Import Dental")]), actor=owner
    )
    applying.apply(batch, actor=owner)
    csv_import.upload(owner.organization, "bad.csv", to_csv([row(state="ZZ")]), actor=owner)
    users.create_staff("olive@ops.example", PASSWORD)
    hooks = hooked(Receiver(), user=bravo, url="http://127.0.0.1:9/hooks")  # never sent to
    patient_created(hooks)
    deliveries.fan_out("world")
    return batch.id


def _upgraded(user):
    user.organization.production_enabled = True
    commit()
    return user


def _enrollments():
    from portal.models import Enrollment

    return db.session.scalars(select(Enrollment).where(Enrollment.mode == Mode.PRODUCTION)).all()


def _make_every_text_a_formula() -> None:
    """Every free-text column now starts with "=", its length kept (so it still fits)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if (
                isinstance(column.type, String | Text)
                and not isinstance(column.type, Enum)
                and not column.name.endswith(("_encrypted", "_hash"))
                and column.name not in UNTOUCHED
            ):
                db.session.execute(update(table).values({column: _formula(column)}))
    db.session.commit()


def _formula(column):
    # "=" before the text, or instead of its first character where the column is full.
    length = getattr(column.type, "length", None)
    if length is None:
        return "=" + column
    return case((func.length(column) < length, "=" + column), else_="=" + func.substr(column, 2))


def _signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert signed.status_code == 302
    return client


def _production(client: httpx.Client) -> None:
    page = client.get("/portal/").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/portal/mode", data={"csrf_token": token, "mode": "production"})


def _downloads(batch_id: int) -> dict[str, list[str]]:
    """Every CSV download, by console."""
    found = {"/ops": [], "/portal": []}
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if isinstance(view, ModelView) and view.can_export:
                found[admin.url].append(f"{view.url}/export/csv/")
    for prefix, imports in (("/ops", "/ops/import"), ("/portal", "/portal/imports")):
        found[prefix] += [
            f"{imports}/sample.csv",
            f"{imports}/{batch_id}/product-keys.csv",
            f"{imports}/{batch_id + 1}/errors.csv",
        ]
    found["/ops"].append(f"/ops/usage/?download=1&month={clock.now():%Y-%m}")
    return found


def test_every_csv_download_escapes_formulas_in_every_cell(app, live_server):
    batch_id = _world()
    staff = _signed_in(live_server, "olive@ops.example")
    developer = _signed_in(live_server, "a@alpha.example")
    _production(developer)
    _make_every_text_a_formula()
    in_use = db.engine.pool.checkedout()
    problems, checked = {}, 0
    for prefix, paths in _downloads(batch_id).items():
        client = staff if prefix == "/ops" else developer
        for path in paths:
            try:
                response = client.get(path)
            except httpx.HTTPError as error:  # e.g. the stream broke off mid-download
                problems[path] = repr(error)[:120]
                continue
            rows = list(csv.reader(io.StringIO(response.text)))
            cells = [value for line in rows[1:] for value in line]
            if response.status_code != 200 or not response.headers["content-type"].startswith(
                "text/csv"
            ):
                problems[path] = f"answered {response.status_code}"
            elif any(value.startswith(FORMULA_STARTS) for line in rows for value in line):
                problems[path] = "a cell starts like a formula"
            elif not path.endswith(OUR_WORDS) and not any(v.startswith("'=") for v in cells):
                problems[path] = "no escaped cell: the download did not show the hostile rows"
            checked += 1
    assert checked >= 20
    assert problems == {}
    assert _connections_given_back(in_use), "a download left its database session open"


def _connections_given_back(in_use: int) -> bool:
    """Whether the server's sessions gave their connections back once the downloads ended
    (the server closes a response just after its last bytes, so allow it a moment)."""
    deadline = time.monotonic() + 30
    while db.engine.pool.checkedout() > in_use:
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.05)
    return True


def test_the_relationship_and_object_columns_of_an_export_are_escaped(app, live_server):
    _world()
    staff = _signed_in(live_server, "olive@ops.example")
    _make_every_text_a_formula()
    rows = list(csv.reader(io.StringIO(staff.get("/ops/users/export/csv/").text)))
    organization = rows[0].index("Organization")
    assert {line[organization] for line in rows[1:]} >= {"'=Alpha Apps", "'=Bravo Apps"}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("＝1+1", "'＝1+1"),
        ("Plain", "Plain"),
        ("", ""),
        (-2, "-2"),
        (3.5, "3.5"),
        (None, ""),
        (True, "True"),
    ],
)
def test_one_cell_is_escaped_by_its_text_whatever_its_type(value, shown):
    assert cell(value) == shown
    assert csv_exports._cells(["a", value, "=b"]) == ["a", shown, "'=b"]  # a row at once


def test_an_activation_request_export_streams_with_its_locations(app, live_server):
    _world()
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 2
    staff = _signed_in(live_server, "olive@ops.example")
    response = staff.get("/ops/activation-requests/export/csv/")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert response.status_code == 200 and len(rows) == 2
    assert "Office 3" in rows[1][rows[0].index("Locations")]
