"""The rows of one location that an uploaded batch names, read and written with set-based
statements: one SELECT finds what is stored, one INSERT adds the new rows (a COPY on
PostgreSQL, `bulk.insert_rows`) and an executemany UPDATE (on PostgreSQL one UPDATE over
arrays) sets what changed in the others; their number does not grow with the batch. No ORM
object is built for them: a batch of a thousand records goes as plain values from the body
to the database."""

from dataclasses import dataclass, field
from datetime import datetime
from operator import ne

from sqlalchemy import Table, bindparam, select, text, update

from portal.extensions import db
from portal.services import bulk

# Ids per IN list: a whole batch (1,000 records and 1,000 deletions) fits in one, far below
# the parameter limits of SQLite (32,766) and PostgreSQL (65,535).
CHUNK = 2000


@dataclass
class Changes:
    """What a batch does to the stored rows: values of new rows by foreign id, (id, values)
    of changed rows by foreign id, and how many were already as sent. `changed` names the
    fields that differ in any changed row, when every record sent the same fields."""

    created: dict[str, dict] = field(default_factory=dict)
    updated: dict[str, tuple[int, dict]] = field(default_factory=dict)
    unchanged: int = 0
    changed: list[str] | None = None


def compare(table: Table, location_id: int, rows: dict[str, dict]) -> Changes:
    """Sort `rows` (column values by foreign id) into new, changed and unchanged, against
    what the location holds; a row changes when any value sent differs from the stored one."""
    names = sorted(set().union(*rows.values()))
    stored = _stored(table, location_id, list(rows), names)
    every_field = all(len(values) == len(names) for values in rows.values())
    changes, sent, held = Changes(), [], []
    for foreign_id, values in rows.items():
        old = stored.get(foreign_id)
        if old is None:
            changes.created[foreign_id] = values
        elif every_field:  # an agent's batch: whole rows compared at once
            new = tuple(map(values.__getitem__, names))
            if new == old[1:]:
                changes.unchanged += 1
            else:
                changes.updated[foreign_id] = (old[0], values)
                sent.append(new)
                held.append(old[1:])
        elif any(old[1 + names.index(name)] != value for name, value in values.items()):
            changes.updated[foreign_id] = (old[0], values)
        else:
            changes.unchanged += 1
    if sent:
        changes.changed = _changed_fields(names, sent, held)
    return changes


def _changed_fields(names: list[str], sent: list[tuple], held: list[tuple]) -> list[str]:
    """The names whose value differs between any row `sent` and the row `held` for it."""
    columns = zip(names, zip(*sent, strict=True), zip(*held, strict=True), strict=True)
    return [name for name, new, old in columns if any(map(ne, new, old))]


def _stored(table: Table, location_id: int, foreign_ids: list[str], names: list[str]) -> dict:
    """(id, *names) of the rows of `foreign_ids` that the location holds, by foreign id."""
    columns = [table.c.foreign_id, table.c.id, *(table.c[name] for name in names)]
    stored = {}
    for chunk in bulk.chunks(foreign_ids, CHUNK):
        query = select(*columns).where(
            table.c.location_id == location_id, bulk.one_of(table.c.foreign_id, chunk)
        )
        stored.update((row[0], tuple(row[1:])) for row in db.session.execute(query))
    return stored


def write(table: Table, location_id: int, changes: Changes, now: datetime) -> None:
    """Insert the new rows and update the changed ones, stamped `now`. An update sets the
    fields that changed in any row; records that sent different fields (never an agent's
    batch) are written in one statement per set of fields."""
    stamps = {"created_at": now, "updated_at": now}
    new = [
        {"location_id": location_id, "foreign_id": foreign_id, **values, **stamps}
        for foreign_id, values in changes.created.items()
    ]
    for group in _same_fields(new):
        bulk.insert_rows(table, group)
    fields = changes.changed
    changed = [
        {"row_id": row_id, **(values if fields is None else {f: values[f] for f in fields})}
        for row_id, values in changes.updated.values()
    ]
    for group in _same_fields(changed):
        _update(table, group, now)


def _update(table: Table, rows: list[dict], now: datetime) -> None:
    """Set each row's values (the same names in every row) in the row of id `row_id`, and
    its update time to `now`."""
    dialect = db.session.connection().dialect
    if dialect.name != "postgresql":
        by_id = update(table).where(table.c.id == bindparam("row_id")).values(updated_at=now)
        db.session.execute(by_id, rows)
        return
    # PostgreSQL runs an executemany as one statement per row (a tenth of a millisecond of
    # driver time each); sent as one array per column, unnested, the rows are one UPDATE.
    # The driver converts arrays value by value, so this pays where few fields changed (an
    # agent's usual batch).
    quote = dialect.identifier_preparer.quote
    names = [name for name in rows[0] if name != "row_id"]
    statement = (
        f"UPDATE {quote(table.name)} SET "
        + ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names)
        + ", updated_at = :updated_at"
        + f" FROM unnest(CAST(:row_id AS INTEGER[]), {_arrays(table, names, dialect)})"
        + f" AS v(row_id, {', '.join(quote(name) for name in names)})"
        + f" WHERE {quote(table.name)}.id = v.row_id"
    )
    values = {name: bulk.column_values(table.c[name], rows, dialect) for name in names}
    values["row_id"] = [row["row_id"] for row in rows]
    values["updated_at"] = bulk.column_values(table.c.updated_at, [{"updated_at": now}], dialect)[0]
    db.session.execute(text(statement), values)


def _arrays(table: Table, names: list[str], dialect) -> str:
    """Bind parameters of the `names`, each an array of its column's type."""
    return ", ".join(
        f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names
    )


def _same_fields(rows: list[dict]) -> list[list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return list(groups.values())
