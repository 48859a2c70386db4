"""Cursor pagination: a page continues from the row its cursor names (keyset), so rows
inserted or removed meanwhile never shift the pages: no duplicates and no gaps.

As NexHealth's pagination docs describe it: `end_cursor` asks for the rows after a row (pass
the last page's `end_cursor` to go forward), `start_cursor` for the rows before one (pass the
page's `start_cursor` to go back).
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, not_, or_, select

from portal.extensions import db
from portal.services.records.api_access import InvalidField

DEFAULT_PER_PAGE, MAX_PER_PAGE = 1000, 1000


@dataclass(frozen=True)
class Sort:
    """An order for a list: a column (then the id) ascending, or descending for "-name"."""

    name: str
    column: object
    id_column: object

    @property
    def descending(self) -> bool:
        return self.name.startswith("-")

    def value_of(self, row):
        return getattr(row, self.column.key)


def sort_by(name: str, model, allowed: tuple[str, ...]) -> Sort:
    """The Sort named by the `sort` parameter. Raises InvalidField for a name not allowed."""
    if name not in allowed:
        raise InvalidField("sort", f"must be one of: {', '.join(allowed)}.")
    return Sort(name, getattr(model, name.lstrip("-")), model.id)


@dataclass(frozen=True)
class Page:
    items: list
    page_info: dict


def paginate(
    query, sort: Sort, per_page: int, start_cursor=None, end_cursor=None, *, plain=False
) -> Page:
    """One page of `query` in `sort` order: ORM objects, or with `plain` the query's rows as
    they come (a select of columns, cheaper when the page is only read and shaped).
    Raises InvalidField for a cursor we did not issue for this order, or for both at once."""
    if start_cursor is not None and end_cursor is not None:
        raise InvalidField("start_cursor", "cannot be combined with end_cursor.")
    backward = start_cursor is not None
    position = None
    if start_cursor is not None or end_cursor is not None:
        field = "start_cursor" if backward else "end_cursor"
        position = _decode(start_cursor if backward else end_cursor, sort, field)
    page_query = query
    if position is not None:
        page_query = query.where(_beyond(sort, position, forward=not backward))
    result = db.session.execute(
        page_query.order_by(*_order(sort, reverse=backward)).limit(per_page + 1)
    )
    rows = result.all() if plain else result.scalars().all()
    more, rows = len(rows) > per_page, list(rows[:per_page])
    if backward:
        rows.reverse()
    # Rows on the cursor's own side exist when the client came from there.
    other_side = position is not None and _exists(
        query.where(not_(_beyond(sort, position, forward=not backward)))
    )
    has_next, has_previous = (other_side, more) if backward else (more, other_side)
    return Page(
        rows,
        {
            "has_previous_page": has_previous,
            "has_next_page": has_next,
            "start_cursor": _encode(rows[0], sort) if rows else None,
            "end_cursor": _encode(rows[-1], sort) if rows else None,
        },
    )


def _order(sort: Sort, *, reverse: bool):
    descending = sort.descending != reverse
    columns = [sort.column, sort.id_column]
    return [c.desc() if descending else c.asc() for c in columns]


def _beyond(sort: Sort, position: tuple, *, forward: bool):
    """Rows strictly after `position` in the list's order (before it when not `forward`)."""
    value, row_id = position
    later = forward != sort.descending
    column, id_column = sort.column, sort.id_column
    if later:
        return or_(column > value, and_(column == value, id_column > row_id))
    return or_(column < value, and_(column == value, id_column < row_id))


def _exists(query) -> bool:
    return bool(db.session.scalar(select(query.exists())))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def _encode(row, sort: Sort) -> str:
    value = sort.value_of(row)
    if isinstance(value, date):  # datetimes too
        value = value.isoformat()
    return _serializer().dumps([sort.name, value, row.id])


def _decode(cursor: str, sort: Sort, field: str) -> tuple:
    try:
        name, value, row_id = _serializer().loads(cursor)
    except (BadData, TypeError, ValueError, UnicodeError):
        raise InvalidField(field, "is not a cursor this API issued.") from None
    if name != sort.name or not isinstance(row_id, int):
        raise InvalidField(field, f"belongs to another sort order than {sort.name}.")
    return _typed(value, field), row_id


def _typed(value, field: str):
    # The cursor is signed, so its value is one we wrote: an id, or a timestamp as ISO text.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField(field, "is not a cursor this API issued.")
