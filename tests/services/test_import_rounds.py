"""An apply classifies its file round by round as it writes it: on PostgreSQL on a connection
of its own, ahead of the writes; elsewhere every round before the first write. Either way
each row is planned as the preview planned it, and a failure on either side stops both."""

import threading

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import AccessRequest, Enrollment, EnrollmentStatus, Institution, Sync, SyncStage
from portal.services import Conflict
from portal.services.imports import applying, csv_import, import_rounds
from portal.services.imports.csv_import import Kind
from tests.onboarding import enrollment_in, institution, sync_in, upgraded
from tests.services.test_bulk_import_rows import (
    generated_file,
    last_ids,
    one_server_for_two_systems,
)
from tests.services.test_csv_import import row, to_csv


@pytest.fixture
def dev():
    return upgraded("Alpha Apps", "a@alpha.example")


@pytest.fixture
def one_group_a_round(monkeypatch):
    monkeypatch.setattr(import_rounds, "ROUND", 1)


def a_file_that_refers_to_itself(dev) -> bytes:
    """A new practice, a second one with its phone number under another name, a second
    sync for one of the organization's own practices, a live practice of another
    organization, and the first one's second sync."""
    own = {"name": "Bright Smiles", "street_address": "1 Main Street", "phone_number": "5185550142"}
    institution(dev, **own)
    owner = upgraded("Owner Apps", "o@owner.example")
    live = enrollment_in(owner, EnrollmentStatus.LIVE, "Hudson Dental")
    live.institution.email = "desk@hudson.example"
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    maple = {"name": "Maple Ortho", "street_address": "4 Elm Street", "phone_number": "5185550123"}
    return to_csv(
        [
            row(**maple),
            row(name="Cedar Smiles", street_address="9 Oak Lane", phone_number="5185550123"),
            row(**own, ehr="eaglesoft", server="IMAGING"),
            row(name="Hudson Dental PLLC"),
            row(**maple, ehr="athena", server=""),
        ]
    )


def test_each_row_is_applied_as_its_preview_planned_it_whatever_the_rounds(
    dev, mailbox, one_group_a_round
):
    content = a_file_that_refers_to_itself(dev)
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    preview = csv_import.preview(batch)
    # The second practice shares the first one's phone, but the first is not written yet:
    # a round classified after it was written must not find it.
    kinds = [Kind.NEW, Kind.NEW, Kind.ADDITIONAL_SYNC, Kind.MATCH, Kind.ADDITIONAL_SYNC]
    assert [r.kind for r in preview.rows] == kinds
    before = db.session.scalar(select(func.count(Institution.id)))
    own = db.session.scalar(select(Enrollment).join(Institution).filter_by(name="Bright Smiles"))
    assert own.status is EnrollmentStatus.NEEDS_SYNC

    summary = applying.apply(batch, actor=dev)
    assert summary["counts"] == preview.counts
    assert db.session.scalar(select(func.count(Institution.id))) == before + 2
    assert db.session.scalar(select(func.count(AccessRequest.id))) == 1
    # The own practice's sync went through the services, after the new institutions, and
    # its enrollment took the step; the syncs' ids still come in the file's order.
    db.session.refresh(own)
    assert own.status is EnrollmentStatus.INSTALLING
    syncs = {s.id: (s.institution.name, s.ehr) for s in db.session.scalars(select(Sync))}
    assert [syncs[sync_id] for sync_id in summary["sync_ids"]] == [
        ("Maple Ortho", "dentrix"),
        ("Maple Ortho", "athena"),
        ("Cedar Smiles", "dentrix"),
        ("Bright Smiles", "eaglesoft"),
    ]


def test_rounds_are_classified_on_a_connection_of_their_own_on_postgresql_only(
    dev, mailbox, one_group_a_round, monkeypatch
):
    content = a_file_that_refers_to_itself(dev)
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    seen, classify = [], import_rounds.classify

    def classified(organization, groups):  # on the session of the thread it runs in
        classify(organization, groups)
        seen.append(("classify", id(db.session.connection().connection.dbapi_connection)))

    def written(connection, cursor, statement, *_):
        if statement.startswith(("COPY institutions", "INSERT INTO institutions")):
            seen.append(("write", id(connection.connection.dbapi_connection)))

    monkeypatch.setattr(import_rounds, "classify", classified)
    event.listen(db.engine, "before_cursor_execute", written)
    try:
        applying.apply(batch, actor=dev)
    finally:
        event.remove(db.engine, "before_cursor_execute", written)
    classifying = {connection for what, connection in seen if what == "classify"}
    writing = {connection for what, connection in seen if what == "write"}
    assert len(classifying) == len(writing) == 1 and len(seen) == 4 + 2  # 4 groups
    if db.engine.dialect.name == "postgresql":
        assert classifying != writing
    else:  # one connection: every round is classified before anything is written
        assert classifying == writing and [what for what, _ in seen[:4]] == ["classify"] * 4


def _no_classifying_thread() -> bool:
    return not any(thread.name == "import-rounds" for thread in threading.enumerate())


def test_a_conflict_in_the_first_round_ends_the_classifying_and_gives_its_connection_back(
    dev, one_group_a_round
):
    thirty_more = generated_file(30, seed=3).split(b"\r\n", 1)[1]  # without its header
    content = generated_file(0) + one_server_for_two_systems() + thirty_more
    batch = csv_import.upload(dev.organization, "f.csv", content, actor=dev)
    before, connections = last_ids(), db.engine.pool.checkedout()
    with pytest.raises(Conflict, match="already has a sync on server FRONT"):
        applying.apply(batch, actor=dev)
    db.session.rollback()
    assert last_ids() == before
    assert _no_classifying_thread() and db.engine.pool.checkedout() == connections


def test_a_round_that_fails_to_classify_fails_the_apply_writing_nothing(
    dev, one_group_a_round, monkeypatch
):
    classify, calls = import_rounds.classify, []

    def third_fails(organization, groups):
        calls.append(groups)
        if len(calls) == 3:
            raise ConnectionResetError("the server went away")
        classify(organization, groups)

    monkeypatch.setattr(import_rounds, "classify", third_fails)
    batch = csv_import.upload(dev.organization, "f.csv", generated_file(6), actor=dev)
    before, connections = last_ids(), db.engine.pool.checkedout()
    with pytest.raises(ConnectionResetError, match="the server went away"):
        applying.apply(batch, actor=dev)
    db.session.rollback()
    assert last_ids() == before and len(calls) == 3
    assert _no_classifying_thread() and db.engine.pool.checkedout() == connections
    # The connection was left whole: the same file applies once the server is back.
    monkeypatch.setattr(import_rounds, "classify", classify)
    assert len(applying.apply(batch, actor=dev)["sync_ids"]) == len(csv_import.preview(batch).rows)
