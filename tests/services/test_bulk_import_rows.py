"""The import writes new institutions set by set: the rows and audit rows are those the
per-object services (institutions.add, setup.add_sync) write for the same file."""

import csv
import gc
import io
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Enrollment, Institution, Mode, Sync
from portal.services import Conflict, PortalError, bulk, naming, secrets
from portal.services.imports import applying, csv_import, import_rounds
from portal.services.imports.csv_import import COLUMNS
from portal.services.onboarding import institutions
from portal.services.syncs import keys, setup
from tests.onboarding import upgraded

# Every way of installing, alone and mixed within one institution, in both orders.
SERVERS = [
    [("dentrix", "FRONT")],
    [("athena", "")],
    [("dolphin", "MAIN")],
    [("dentrix", "FRONT"), ("eaglesoft", "IMAGING")],
    [("athena", ""), ("dentrix", "FRONT")],
    [("dentrix", "FRONT"), ("athena", "")],
    [("dolphin", "MAIN"), ("opendental", "BACK"), ("cloud9", "")],
    [("curve2", ""), ("orthotrac", "ORTHO")],
]
SECRET_COLUMNS = ("product_key_digest", "product_key_encrypted", "extension_token_encrypted")


def generated_file(practices: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n in range(practices):
        details = {
            "institution_name": f"{rng.choice(['Maple', 'Cedar', 'River'])} Dental {n}",
            "street_address": f"{rng.randrange(1, 999)} Main Street",
            "street_address_2": rng.choice(["", f"Suite {n}"]),
            "city": "Albany",
            "state": "ny",
            "zip_code": f"{rng.randrange(10000, 99999)}",
            "phone_number": f"(518) {rng.randrange(200, 999)}-{n:04d}",
            "email": rng.choice(["", f" Desk{n}@Practice.example "]),
            "website": rng.choice(["", f"practice{n}.example"]),
            "contact_name": rng.choice(["", "Ann Rivera"]),
            "is_group": rng.choice(["yes", "no", ""]),
        }
        for ehr, server in SERVERS[n % len(SERVERS)]:
            row = details | {"ehr": ehr, "server_name": server}
            writer.writerow([row.get(column, "") for column in COLUMNS])
    return buffer.getvalue().encode()


def written_since(first_ids: dict) -> dict:
    """The rows written after `first_ids`, with ids replaced by what they stand for."""
    db.session.flush()
    names = {}
    institution_rows = _rows(Institution, first_ids)
    for row in institution_rows:
        names[("Institution", row.pop("id"))] = row["subdomain"]
    enrollment_rows = _rows(Enrollment, first_ids)
    for row in enrollment_rows:
        subdomain = names[("Institution", row.pop("institution_id"))]
        names[("Enrollment", row.pop("id"))] = subdomain
        row["institution"] = subdomain
    sync_rows = _rows(Sync, first_ids)
    for row in sync_rows:
        row["institution"] = names[("Institution", row.pop("institution_id"))]
        names[("Sync", row.pop("id"))] = (row["institution"], row["ehr"], row["server_name"])
        _check_secrets(row)
    audit_rows = _rows(AuditEvent, first_ids)
    for row in audit_rows:
        row.pop("id")
        row["target_id"] = names.get((row["target_type"], int(row["target_id"])), "other")
    return {
        "institutions": institution_rows,
        "enrollments": enrollment_rows,
        "syncs": sync_rows,
        "audit": audit_rows,
    }


def _rows(model, first_ids: dict) -> list[dict]:
    table = model.__table__
    found = db.session.execute(
        select(table).where(table.c.id > first_ids[model]).order_by(table.c.id)
    )
    rows = [dict(row._mapping) for row in found]
    for row in rows:
        for name in ("created_at", "status_changed_at"):  # when it ran, not compared
            when = row.pop(name, clock.now())
            assert abs(when - clock.now()) < timedelta(minutes=10)
    return rows


def _check_secrets(row: dict) -> None:
    """A product key or extension token is random: it is there, encrypted, and its digest
    matches, exactly when its install method needs one."""
    digest, encrypted, extension = (row.pop(name) for name in SECRET_COLUMNS)
    method = row["install_method"].value
    assert (encrypted is not None) == (method == "self_installer") == (digest is not None)
    assert (extension is not None) == (method == "cloud")
    if encrypted:
        raw = secrets.decrypt(encrypted)
        assert digest == secrets.digest(keys.canonical_product_key(raw)) and len(raw) == 29
    if extension:
        assert secrets.decrypt(extension).startswith("ext_")


def last_ids() -> dict:
    models = (Institution, Enrollment, Sync, AuditEvent)
    return {m: db.session.scalar(select(func.coalesce(func.max(m.id), 0))) for m in models}


def through_the_services(dev, plan) -> list[int]:
    """What the import wrote before it wrote in sets: one service call per object."""
    slugs = naming.unique_slugs(Institution.subdomain, [g.details.name for g in plan.groups])
    sync_ids = []
    for group, subdomain in zip(plan.groups, slugs, strict=True):
        enrollment = institutions.add(
            group.details,
            organization=dev.organization,
            actor=dev,
            mode=Mode.PRODUCTION,
            subdomain=subdomain,
        )
        for _, ehr, server in group.rows:
            sync_ids.append(setup.add_sync(enrollment, ehr=ehr, server_name=server, actor=dev).id)
    return sync_ids


@pytest.fixture
def dev():
    return upgraded("Alpha Apps", "a@alpha.example")


@pytest.mark.parametrize("round_size", [1_000, 16])  # one round of statements, and three
def test_an_import_writes_the_rows_and_audit_rows_the_services_write(dev, round_size, monkeypatch):
    monkeypatch.setattr(import_rounds, "ROUND", round_size)
    practices = 40
    batch = csv_import.upload(dev.organization, "f.csv", generated_file(practices), actor=dev)
    plan = csv_import.preview(batch)
    assert not plan.errors and len(plan.groups) == practices
    before = last_ids()
    expected_ids = through_the_services(dev, plan)
    expected = written_since(before)
    db.session.rollback()
    assert last_ids() == before

    summary = applying.apply(batch, actor=dev)
    written = written_since(before)
    assert written["audit"].pop()["action"] == "import.applied"
    for table in ("institutions", "enrollments", "syncs", "audit"):
        assert written[table] == expected[table], table
    assert len(summary["sync_ids"]) == len(expected_ids) == len(written["syncs"])
    syncs = db.session.scalars(select(Sync).where(Sync.id.in_(summary["sync_ids"])))
    in_file_order = {s.id: (s.institution.name, s.ehr) for s in syncs}
    assert [in_file_order[i] for i in summary["sync_ids"]] == [
        (group.details.name, ehr) for group in plan.groups for _, ehr, _ in group.rows
    ]


def a_taken_subdomain(dev) -> str:
    """The subdomain of an institution an earlier file created."""
    taken = csv_import.upload(dev.organization, "a.csv", generated_file(1), actor=dev)
    applying.apply(taken, actor=dev)
    return db.session.scalar(select(Institution.subdomain).order_by(Institution.id.desc()))


def one_server_for_two_systems() -> bytes:
    """Rows of a new institution that add_sync refuses (Conflict)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(
        [["Hudson Dental", "12 River Road", "", "Albany", "NY", "12207", "(518) 555-0199",
          "", "", "", "no", ehr, "FRONT"] for ehr in ("dentrix", "eaglesoft")]
    )  # fmt: skip
    return buffer.getvalue().encode()


@pytest.mark.parametrize(
    "earlier", [0, 6], ids=["alone", "while earlier rounds are sent"]
)  # with six practices before it, one round each: those rounds are in flight
def test_a_new_institution_naming_one_server_for_two_systems_writes_nothing(
    dev, monkeypatch, earlier
):
    monkeypatch.setattr(import_rounds, "ROUND", 1)
    content = generated_file(earlier) + one_server_for_two_systems()
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    before = last_ids()
    with pytest.raises(Conflict, match="already has a sync on server FRONT"):
        applying.apply(batch, actor=dev)
    db.session.rollback()
    assert last_ids() == before
    # The connection was left whole: the next file applies.
    fine = csv_import.upload(dev.organization, "g.csv", generated_file(3, seed=9), actor=dev)
    assert len(applying.apply(fine, actor=dev)["sync_ids"]) == 3


def test_a_row_the_database_refuses_is_reported_ahead_of_a_conflict_after_it(dev, monkeypatch):
    monkeypatch.setattr(import_rounds, "ROUND", 1)
    subdomain = a_taken_subdomain(dev)
    slugs, given = naming.unique_slugs, []

    def first_taken(column, names, taken):  # the file's first institution is refused
        if given:
            return slugs(column, names, taken)
        given.append(subdomain)
        return [subdomain, *slugs(column, names[1:], taken)]

    monkeypatch.setattr(naming, "unique_slugs", first_taken)
    content = generated_file(1, seed=8) + one_server_for_two_systems()  # a round each
    batch = csv_import.upload(dev.organization, "b.csv", content, actor=dev)
    before = last_ids()
    with pytest.raises(IntegrityError):
        applying.apply(batch, actor=dev)
    db.session.rollback()
    assert last_ids() == before


def test_a_set_the_database_refuses_is_raised_ahead_of_the_callers_later_error(dev):
    refused = {"name": None, "subdomain": "refused", "mode": Mode.PRODUCTION}  # NOT NULL
    before = last_ids()
    with pytest.raises(IntegrityError), bulk.Copies() as copies:
        copies.insert(Institution.__table__, [refused])
        raise Conflict("found in a later row")  # before the set is sent, on PostgreSQL
    db.session.rollback()
    assert last_ids() == before


def test_lookups_go_in_chunks_within_the_parameter_limits():
    assert [len(part) for part in bulk.chunks(range(2_500))] == [1_000, 1_000, 500]
    assert list(bulk.chunks(set())) == []


def test_progress_is_told_after_each_round_of_institutions(dev, monkeypatch):
    monkeypatch.setattr(import_rounds, "ROUND", 10)
    batch = csv_import.upload(dev.organization, "f.csv", generated_file(25), actor=dev)
    told = []
    applying._apply(dev, batch, applying.ImportStatus.PREVIEWED, lambda *a: told.append(a))
    rows = len(csv_import.preview(batch).rows)
    assert told[0] == (0, rows) and told[-1] == (rows, rows)
    assert len([done for done, _ in told if 0 < done < rows]) == 2


@pytest.mark.parametrize("collecting", [True, False])
def test_the_cycle_collector_pauses_while_a_file_is_applied_and_is_left_as_it_was(dev, collecting):
    good = csv_import.upload(dev.organization, "f.csv", generated_file(5), actor=dev)
    bad = generated_file(2).replace(b",ny,", b",Narnia,", 1)
    broken = csv_import.upload(dev.organization, "bad.csv", bad, actor=dev)
    was_on, seen = gc.isenabled(), []
    (gc.enable if collecting else gc.disable)()
    try:
        applying._apply(
            dev, good, applying.ImportStatus.PREVIEWED, lambda *a: seen.append(gc.isenabled())
        )
        after_apply = gc.isenabled()
        with pytest.raises(PortalError, match="row error"):
            applying.apply(broken, actor=dev)
        after_refusal = gc.isenabled()
    finally:
        (gc.enable if was_on else gc.disable)()
    assert seen and not any(seen)
    assert after_apply is after_refusal is collecting


@pytest.mark.parametrize("round_size", [1_000, 1])  # refused in the last round, in the first
def test_a_row_the_database_refuses_fails_the_apply_as_an_integrity_error_writing_nothing(
    dev, monkeypatch, round_size
):
    monkeypatch.setattr(import_rounds, "ROUND", round_size)
    subdomain = a_taken_subdomain(dev)
    batch = csv_import.upload(dev.organization, "b.csv", generated_file(3, seed=8), actor=dev)
    monkeypatch.setattr(naming, "unique_slugs", lambda _, names, taken: [subdomain] * len(names))
    before = last_ids()
    with pytest.raises(IntegrityError):
        applying.apply(batch, actor=dev)
    db.session.rollback()
    assert last_ids() == before
