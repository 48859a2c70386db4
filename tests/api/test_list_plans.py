"""A location's lists cost the same at any size: in every order they offer, a page is read
from an index in that order, and a cursor's page seeks to its position in that index.

These lists are unbounded (a practice's patients and recalls, over years), so a page that
sorted all of a location's rows, or read them from the start up to the cursor, would grow
with the practice. Each case asks the database how it would run the page the API just ran.
"""

import json

import pytest
from sqlalchemy import event, insert, inspect, select, text, update

from portal.extensions import db
from portal.records import Patient, PatientRecall

LISTS = {
    "/patients": ("patients", ("id", "-id", "updated_at", "-updated_at")),
    "/patient_recalls": (
        "patient_recalls",
        ("id", "-id", "date_due", "-date_due", "updated_at", "-updated_at"),
    ),
}
CASES = [(path, sort) for path, (_, sorts) in LISTS.items() for sort in sorts]


@pytest.fixture
def crowded(other_sandbox):
    """The tables as a real one is: mostly other locations' rows (here another sandbox's,
    copied 40 times), with fresh statistics. The plans below then do not depend on what
    earlier tests left behind: on a table holding one location alone, PostgreSQL rightly
    reads the primary key and filters, and may do so once autovacuum has analyzed it."""
    for model in (Patient, PatientRecall):
        table = model.__table__
        columns = [c for c in table.columns if c.name != "id"]
        rows = db.session.execute(
            select(*columns).where(table.c.location_id == other_sandbox.location_id)
        ).all()
        assert rows  # a sandbox is seeded with patients and recalls
        db.session.execute(insert(table), [row._asdict() for row in rows] * 40)
    db.session.commit()
    with db.engine.begin() as connection:
        for name in ("patients", "patient_recalls"):
            connection.execute(text(f"ANALYZE {name}"))


@pytest.mark.parametrize(("path", "sort"), CASES)
def test_every_page_of_a_location_list_is_read_from_an_index_in_its_order(
    api, sandbox, crowded, path, sort
):
    table = LISTS[path][0]
    first = _page_statement(
        table, lambda: api.get(path, sort=sort, per_page=2, **sandbox.at_location)
    )
    cursor = first.answer.get_json()["page_info"]["end_cursor"]
    later = _page_statement(
        table,
        lambda: api.get(path, sort=sort, per_page=2, end_cursor=cursor, **sandbox.at_location),
    )
    column = sort.lstrip("-")

    for page in (first, later):
        plan = _plan(page)
        assert plan.reads_by_index(table), plan
        assert not plan.sorts(), plan
    # The cursor's page starts at its position: the index is sought to it, not read up to it.
    assert _plan(later).seeks(column), _plan(later)


@pytest.mark.parametrize("sort", ["date_due", "-date_due"])
def test_a_page_among_recalls_without_a_due_date_seeks_to_its_cursor(api, sandbox, crowded, sort):
    # Rows without a value come last ascending (first descending), ordered by their ids: a
    # page that starts among them seeks the index to the cursor's id.
    location_id = sandbox.at_location["location_id"]
    ids = db.session.scalars(
        select(PatientRecall.id).where(PatientRecall.location_id == location_id)
    ).all()
    undated = sorted(ids)[:6]
    db.session.execute(
        update(PatientRecall).where(PatientRecall.id.in_(undated)).values(date_due=None)
    )
    db.session.commit()
    query = {"sort": sort, "per_page": 2, **sandbox.at_location}
    body, cursor = api.get("/patient_recalls", **query).get_json(), None
    while cursor is None:
        last = body["data"][-1]
        if last["date_due"] is None and _undated_after(body, last, undated, sort) >= 3:
            cursor = body["page_info"]["end_cursor"]
        else:
            end = body["page_info"]["end_cursor"]
            body = api.get("/patient_recalls", **query, end_cursor=end).get_json()
    page = _page_statement(
        "patient_recalls", lambda: api.get("/patient_recalls", **query, end_cursor=cursor)
    )
    assert all(row["date_due"] is None for row in page.answer.get_json()["data"])
    plan = _plan(page)
    assert plan.reads_by_index("patient_recalls") and not plan.sorts(), plan
    assert plan.seeks("id"), plan


def test_every_index_of_patients_starts_with_the_location(app):
    # Every read of patients is of one location. An index over all locations' patients
    # (by email, phone or birth date) was read by nothing, yet each new or changed patient
    # of an upload wrote an entry into it (migration 0018).
    indexes = inspect(db.engine).get_indexes("patients")
    assert indexes
    assert [i["name"] for i in indexes if i["column_names"][0] != "location_id"] == []


def _undated_after(body: dict, last: dict, undated: list[int], sort: str) -> int:
    """How many rows without a due date come after `last` in the list's order."""
    return len([i for i in undated if (i > last["id"]) == (sort == "date_due")])


class _Page:
    def __init__(self, answer, statement, parameters):
        self.answer, self.statement, self.parameters = answer, statement, parameters


def _page_statement(table: str, call) -> _Page:
    """Make the API call; return its answer and the statement that read the page's rows."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if f"FROM {table}" in statement and "ORDER BY" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        answer = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["data"]) == 2  # a full page, with more after it
    assert len(seen) == 1, seen
    return _Page(answer, *seen[0])


def _plan(page: _Page):
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {page.statement}", page.parameters
            ).all()
            return _SqlitePlan([row[3] for row in rows])
        # Tables this small are cheapest to scan whole; forbid that, so the plan shows which
        # index could serve the page (a sort or a scan stays possible where none can).
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {page.statement}", page.parameters
        ).scalar()
        plan = rows if isinstance(rows, list) else json.loads(rows)
        return _PostgresPlan(list(_nodes(plan[0]["Plan"])))


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


class _SqlitePlan:
    def __init__(self, details: list[str]):
        self.details = details

    def reads_by_index(self, table: str) -> bool:
        return any(
            d.startswith(f"SEARCH {table} USING") and "INDEX" in d and "(location_id=?" in d
            for d in self.details
        )

    def sorts(self) -> bool:
        return any("TEMP B-TREE" in d for d in self.details)

    def seeks(self, column: str) -> bool:
        return any(f"{column}>?" in d or f"{column}<?" in d for d in self.details)

    def __repr__(self):
        return "\n".join(self.details)


class _PostgresPlan:
    def __init__(self, nodes: list[dict]):
        self.nodes = nodes

    def _scans(self, table: str) -> list[dict]:
        return [n for n in self.nodes if n.get("Relation Name") == table]

    def reads_by_index(self, table: str) -> bool:
        scans = self._scans(table)
        return bool(scans) and all(
            n["Node Type"] in ("Index Scan", "Index Only Scan")
            and "location_id" in n.get("Index Cond", "")
            for n in scans
        )

    def sorts(self) -> bool:
        return any(n["Node Type"] == "Sort" for n in self.nodes)

    def seeks(self, column: str) -> bool:
        bounds = [f"{left} {op}" for left in (column, f"ROW({column}, id)") for op in "<>"]
        return any(b in n.get("Index Cond", "") for n in self.nodes for b in bounds)

    def __repr__(self):
        return json.dumps(self.nodes, indent=1, default=str)[:4000]
