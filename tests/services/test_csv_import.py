"""Bulk onboarding: preview, one-transaction apply, matches, limits and hostile files."""

import csv
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from portal.admin_views.csv_exports import cell
from portal.extensions import db
from portal.models import (
    AccessRequest,
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    ImportBatch,
    Institution,
    Location,
    RequestStatus,
    Sync,
    SyncStage,
)
from portal.services import Conflict, PortalError
from portal.services.imports import applying, csv_import, import_files
from portal.services.imports.csv_import import COLUMNS, Kind
from portal.services.onboarding import consent
from tests.onboarding import ADDRESS, enrollment_in, institution, sync_in, upgraded


def row(name="Hudson Dental", ehr="dentrix", server="FRONT", **fields):
    values = {
        "institution_name": name,
        "street_address": "12 River Road",
        "city": "Albany",
        "state": "NY",
        "zip_code": "12207",
        "phone_number": "(518) 555-0199",
        "ehr": ehr,
        "server_name": server,
        **fields,
    }
    return [values.get(column, "") for column in COLUMNS]


def to_csv(rows, bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def dev():
    return upgraded("Alpha Apps", "a@alpha.example")


def test_identical_institution_rows_make_one_institution_with_a_sync_each(dev):
    batch = csv_import.upload(
        dev.organization, "f.csv", to_csv([row(server="FRONT"), row(server="BACK")]), actor=dev
    )
    kinds = [r.kind for r in csv_import.preview(batch).rows]
    assert kinds == [Kind.NEW, Kind.ADDITIONAL_SYNC]
    summary = applying.apply(batch, actor=dev)
    institution = db.session.scalar(select(Institution).where(Institution.name == "Hudson Dental"))
    assert [s.server_name for s in institution.syncs] == ["FRONT", "BACK"]
    assert len(summary["sync_ids"]) == 2
    keys = list(import_files.product_key_rows(batch))
    assert keys[0][-1] == "product_key" and all(len(line[-1]) == 29 for line in keys[1:])


def test_a_thousand_rows_with_line_502_invalid_write_nothing(dev):
    rows = [row(name=f"Practice {i}", phone_number=f"(518) 555-{i:04d}") for i in range(1000)]
    rows[500][rows[0].index("12207")] = "ABCDE"
    batch = csv_import.upload(dev.organization, "big.csv", to_csv(rows), actor=dev)
    plan = csv_import.preview(batch)
    assert [str(e) for e in plan.errors] == [
        "line 502, column zip_code: Use a 5-digit ZIP code (or ZIP+4, 12345-6789)."
    ]
    before = (count(Institution), count(Sync))
    with pytest.raises(PortalError, match="1 row error"):
        applying.apply(batch, actor=dev)
    assert (count(Institution), count(Sync)) == before


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite takes lists of values; PostgreSQL takes arrays",
)
def test_a_bigger_file_is_previewed_with_the_same_statements_on_postgresql(dev):
    def statements(rows: int) -> list[str]:
        lines = [row(name=f"Practice {i}", phone_number=f"(518) 555-{i:04d}") for i in range(rows)]
        batch = csv_import.upload(dev.organization, "f.csv", to_csv(lines), actor=dev)
        sent = []
        record = lambda conn, cursor, statement, *_: sent.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            csv_import.preview(batch)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return sent

    # Each lookup's values go as arrays: the texts do not grow with the file, so the driver
    # converts each once and the server plans them as lookups by index.
    assert statements(3) == statements(300)


def test_bom_and_no_bom_files_preview_identically(dev):
    def kinds(content):
        return [(r.line, r.kind, r.name) for r in csv_import.plan(dev.organization, content).rows]

    rows = [row(), row(name="Other Dental", ehr="athena", server="")]
    assert kinds(to_csv(rows, bom=True)) == kinds(to_csv(rows))


def test_latin1_gets_the_encoding_error_and_nothing_is_stored(dev):
    content = to_csv([row(name="Clínica Dental")]).decode().encode("latin-1")
    with pytest.raises(csv_import.FileRejected, match="not UTF-8"):
        csv_import.upload(dev.organization, "latin.csv", content, actor=dev)
    assert count(ImportBatch) == 0


def test_formulas_round_trip_export_import_export_unchanged(app, dev):
    from portal.services.accounts import users
    from tests.conftest import PASSWORD, login

    hostile = {"contact_name": '=HYPERLINK("http://evil.example")', "name": "@Dental Care"}
    exported_cells = [cell(hostile["name"]), cell(hostile["contact_name"])]
    content = to_csv([row(name=exported_cells[0], contact_name=exported_cells[1])])
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    applying.apply(batch, actor=dev)
    stored = db.session.scalar(select(Institution).where(Institution.name == "@Dental Care"))
    assert stored.contact_name == hostile["contact_name"]  # stored as text
    users.create_staff("s@ops.example", PASSWORD)
    client = app.test_client()
    login(client, "s@ops.example")
    exported = client.get("/ops/institutions/export/csv/?search=Dental").get_data(as_text=True)
    assert exported_cells[0] in exported


def test_a_matched_row_becomes_an_access_request(dev, mailbox):
    owner = upgraded("Owner Apps", "o@owner.example")
    live = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")
    live.institution.email = "desk@hudson.example"
    live.institution.locations.append(Location(foreign_id="1", name="Main"))
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    batch = csv_import.upload(
        dev.organization, "f.csv", to_csv([row(name="Hudson Dental PLLC")]), actor=dev
    )
    assert [r.kind for r in csv_import.preview(batch).rows] == [Kind.MATCH]
    applying.apply(batch, actor=dev)
    assert count(AccessRequest) == 1 and count(Institution) == 3  # two sandboxes, one practice
    assert mailbox.bodies_to("desk@hudson.example")


def test_an_apply_records_the_request_to_a_match_after_the_new_institutions(dev, mailbox):
    owner = upgraded("Owner Apps", "o@owner.example")
    live = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")
    live.institution.email = "desk@hudson.example"
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    new = row(name="Maple Ortho", street_address="4 Elm Street", phone_number="5185550123")
    batch = csv_import.upload(
        dev.organization, "f.csv", to_csv([row(name="Hudson Dental PLLC"), new]), actor=dev
    )
    assert [r.kind for r in csv_import.preview(batch).rows] == [Kind.MATCH, Kind.NEW]
    first = db.session.scalar(select(func.max(AuditEvent.id)))
    applying.apply(batch, actor=dev)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > first).order_by(AuditEvent.id)
    ).all()
    # In the same order on both databases: the new institution's rows, written set by set as
    # each round is classified, then the services' rows for the match.
    assert actions == ["institution.created", "sync.created", "enrollment.start_install",
                       "enrollment.request_access", "access.requested",
                       "import.applied"]  # fmt: skip


@pytest.mark.parametrize(
    "how", ["name", "phone"], ids=["matched by name and ZIP", "matched by phone only"]
)
def test_reuploading_a_file_whose_row_matched_a_live_practice_plans_nothing_new(dev, mailbox, how):
    owner = upgraded("Owner Apps", "o@owner.example")
    live = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")
    live.institution.email = "desk@hudson.example"
    live.institution.locations.append(Location(foreign_id="1", name="Main"))
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    # Same phone; by name the row also has the practice's street and ZIP.
    fields = {"name": "Hudson Dental"} if how == "name" else {"name": "River Road Smiles"}
    content = to_csv([row(phone_number="(518) 555-0100", server="BRAVO", **fields)])
    first = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    assert [r.kind for r in csv_import.preview(first).rows] == [Kind.MATCH]
    applying.apply(first, actor=dev)
    before = count(Institution), count(Sync), count(AccessRequest)

    again = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    plan = csv_import.preview(again)
    assert [r.kind for r in plan.rows] == [Kind.REQUESTED] and plan.nothing_new
    applying.apply(again, actor=dev)
    assert (count(Institution), count(Sync), count(AccessRequest)) == before


def _asked_by_import(dev) -> bytes:
    owner = upgraded("Owner Apps", "o@owner.example")
    live = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")
    live.institution.email = "desk@hudson.example"
    live.institution.locations.append(Location(foreign_id="1", name="Main"))
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    content = to_csv([row(phone_number="(518) 555-0100")])
    applying.apply(csv_import.upload(dev.organization, "f.csv", content, actor=dev), actor=dev)
    return content


def test_a_row_for_a_practice_asked_three_times_today_waits_a_day(dev, mailbox):
    content = _asked_by_import(dev)
    enrollment = db.session.get(Enrollment, db.session.scalar(select(AccessRequest.enrollment_id)))
    for _ in range(2):
        consent.cancel(enrollment, actor=dev)
        consent.request_again(enrollment, actor=dev)
    consent.cancel(enrollment, actor=dev)
    again = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    plan = csv_import.preview(again)
    assert [r.kind for r in plan.rows] == [Kind.REQUESTED] and plan.nothing_new
    assert plan.rows[0].note.startswith(
        "Hudson Dental was sent 3 access requests in the last day. It can be asked again from "
    )
    applying.apply(again, actor=dev)
    assert count(AccessRequest) == len(mailbox.bodies_to("desk@hudson.example")) == 3
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED


def test_a_row_for_a_practice_whose_request_was_cancelled_asks_it_again(dev, mailbox):
    content = _asked_by_import(dev)
    asked = db.session.scalar(select(AccessRequest.enrollment_id))
    enrollment = consent.cancel(db.session.get(Enrollment, asked), actor=dev)
    again = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    plan = csv_import.preview(again)
    assert [r.kind for r in plan.rows] == [Kind.MATCH] and not plan.nothing_new
    assert plan.rows[0].note == (
        "Hudson Dental: the access request was cancelled; access will be requested again."
    )
    applying.apply(again, actor=dev)
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT
    statuses = db.session.scalars(select(AccessRequest.status).order_by(AccessRequest.id))
    assert list(statuses) == [RequestStatus.CANCELLED, RequestStatus.PENDING]
    assert len(mailbox.bodies_to("desk@hudson.example")) == 2
    assert count(Institution) == 3  # two sandboxes, one practice: nothing created


def test_a_row_for_a_practice_that_denied_access_says_so_and_asks_nothing(dev, mailbox):
    content = _asked_by_import(dev)
    raw = mailbox.bodies_to("desk@hudson.example")[0].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(raw, grant=False)
    plan = csv_import.preview(csv_import.upload(dev.organization, "f.csv", content, actor=dev))
    assert [r.kind for r in plan.rows] == [Kind.REQUESTED] and plan.nothing_new
    assert plan.rows[0].note == (
        "Hudson Dental: no access to the practice's Synchronizer "
        "(access denied by the practice); nothing imported."
    )


def test_applying_twice_is_refused_and_reuploading_previews_nothing_new(dev):
    content = to_csv([row()])
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    applying.apply(batch, actor=dev)
    with pytest.raises(Conflict):
        applying.apply(batch, actor=dev)
    again = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    assert csv_import.preview(again).nothing_new
    applying.apply(again, actor=dev)
    assert count(Sync) == 1


def test_a_row_found_under_another_name_says_which_institution_it_joins(dev):
    own = institution(dev, "Bold Dental", street_address="9 Lake Road", phone_number="5185550100")
    sync_in(own, "dentrix", SyncStage.INSTALLING, "OLD")
    rows = [row(name="Bom Dental", phone_number="(518) 555-0100", server="NEW"),
            row(name="Bom Dental", phone_number="(518) 555-0100", server="OLD")]  # fmt: skip
    plan = csv_import.plan(dev.organization, to_csv(rows))
    assert [r.kind for r in plan.rows] == [Kind.ADDITIONAL_SYNC, Kind.EXISTING]
    joins = "Added to Bold Dental: it has this row's phone number, or name and ZIP code."
    assert [r.note for r in plan.rows] == [joins, joins]
    same_name = csv_import.plan(dev.organization, to_csv([row(name="Bold Dental", server="X")]))
    assert same_name.rows[0].kind is Kind.ADDITIONAL_SYNC and same_name.rows[0].note == ""
    # Another practice in the same building (same street and ZIP code) is a new institution.
    upstairs = row(name="Upstairs Ortho", street_address="9 Lake Road", phone_number="5185550177")
    new = csv_import.plan(dev.organization, to_csv([upstairs]))
    assert new.rows[0].kind is Kind.NEW


def test_rows_of_its_own_practices_are_planned_with_the_same_statements_however_many(dev):
    """Each row found to be one of the organization's institutions (by phone, under another
    name) is planned from reads shared by all of them: its enrollment with the institution's
    syncs, and its latest access request, are not read row by row."""
    statuses = [EnrollmentStatus.LIVE, EnrollmentStatus.AWAITING_CONSENT]

    def statements(first: int, practices: int) -> tuple[int, list]:
        lines = []
        for n in range(first, first + practices):
            phone = f"(518) 555-{n:04d}"
            enrollment = institution(dev, f"Own {n}", phone_number=phone)
            enrollment.status = statuses[n % 2]
            sync_in(enrollment, "dentrix", SyncStage.ACTIVE, "OLD")
            lines.append(row(name=f"Renamed {n}", phone_number=phone, server="OLD"))
        db.session.commit()
        batch = csv_import.upload(dev.organization, f"f{first}.csv", to_csv(lines), actor=dev)
        sent = []
        record = lambda conn, cursor, statement, *_: sent.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            plan = csv_import.preview(batch)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(sent), [r.kind for r in plan.rows]

    few, few_kinds = statements(0, 3)
    many, many_kinds = statements(10, 9)
    assert few == many
    # Live: the sync is there already; waiting for consent: no sync until it is given.
    assert Kind.NEW not in few_kinds + many_kinds
    assert {Kind.EXISTING, Kind.REQUESTED} <= set(many_kinds)


def test_a_row_of_its_own_practice_is_not_a_request_to_a_live_one_in_its_building(dev):
    own = institution(dev, "Bold Dental", phone_number="5185550111")
    owner = upgraded("Owner Apps", "o@owner.example")
    neighbour = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")  # same building
    sync_in(neighbour, "dentrix", SyncStage.ACTIVE)
    assert own.institution.street_key == neighbour.institution.street_key
    mine = row(name="Bold Dental Care", street_address=ADDRESS["street_address"],
               phone_number="5185550111", server="NEW")  # fmt: skip
    plan = csv_import.plan(dev.organization, to_csv([mine]))
    assert [r.kind for r in plan.rows] == [Kind.ADDITIONAL_SYNC]
    assert plan.rows[0].note.startswith("Added to Bold Dental:")


def test_a_row_of_a_practice_it_deactivated_is_a_new_institution(dev):
    gone = institution(dev, "Bold Dental", phone_number="5185550111")
    gone.status = EnrollmentStatus.DEACTIVATED
    db.session.commit()
    for name in ("Bold Dental", "Bold Dental Care"):  # by its own key, and by phone
        same = row(name=name, street_address=ADDRESS["street_address"], phone_number="5185550111")
        plan = csv_import.plan(dev.organization, to_csv([same]))
        assert [r.kind for r in plan.rows] == [Kind.NEW]


def test_duplicate_syncs_and_bad_cells_are_row_errors(dev):
    rows = [
        row(),
        row(),
        row(ehr="nope"),
        row(is_group="maybe"),
        row(server="", ehr="eaglesoft"),
        row(email="x@y.example\r\nBcc: z@w.example"),
        row(ehr=" ", server="BACK"),
    ]
    plan = csv_import.plan(dev.organization, to_csv(rows))
    messages = [str(e) for e in plan.errors]
    assert "line 3, column server_name: the same sync as line 2." in messages
    assert any(m.startswith("line 4, column ehr: unknown system “nope”; use one of dentrix")
               for m in messages)  # fmt: skip
    assert any(m.startswith("line 9, column ehr: enter the health record system; use one of ")
               for m in messages)  # fmt: skip
    assert "line 5, column is_group: use yes or no." in messages
    assert "line 6, column server_name: Eaglesoft (18+) needs the server name." in messages
    assert any(m.startswith("line 7, column email") for m in messages)


def test_organizations_in_test_mode_cannot_import():
    sandboxed = upgraded("Sandboxed", "s@sandboxed.example")
    sandboxed.organization.production_enabled = False
    with pytest.raises(PortalError, match="upgraded"):
        csv_import.upload(sandboxed.organization, "f.csv", to_csv([row()]), actor=sandboxed)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=600))
def test_any_bytes_give_a_preview_or_a_clear_rejection_and_a_rejection_changes_nothing(
    dev, content
):
    before = count(ImportBatch)
    try:
        batch = csv_import.upload(dev.organization, "fuzz.csv", to_csv([]) + content, actor=dev)
    except csv_import.FileRejected as rejection:
        assert str(rejection) and count(ImportBatch) == before
    else:
        assert csv_import.preview(batch).rows
