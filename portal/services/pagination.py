"""Cursor pagination: a page continues from the row its cursor names (keyset), so rows
inserted or removed meanwhile never shift the pages: no duplicates and no gaps.

As NexHealth's pagination docs describe it: `end_cursor` asks for the rows after a row (pass
the last page's `end_cursor` to go forward), `start_cursor` for the rows before one (pass the
page's `start_cursor` to go back).
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, bindparam, not_, or_, select, tuple_

from portal.extensions import db
from portal.services import driver_rows
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

    @property
    def nullable(self) -> bool:
        """Whether rows may have no value to be sorted by (a recall without a due date):
        those come after every other row, in either database, and the id orders them."""
        return self.column is not self.id_column and self.column.expression.nullable

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
    query,
    sort: Sort,
    per_page: int,
    start_cursor=None,
    end_cursor=None,
    *,
    plain=False,
    params: dict | None = None,
) -> Page:
    """One page of `query` in `sort` order: ORM objects, or with `plain` the query's rows as
    they come (a select of columns, cheaper when the page is only read and shaped).

    With `params`, `query` is a statement built once with bind parameters (their values in
    `params`), and the page's statements are built once per query, order and direction too:
    building and hashing them per request cost more than running them; their plain rows
    come straight from the driver (`driver_rows`).
    Raises InvalidField for a cursor we did not issue for this order, or for both at once."""
    if start_cursor is not None and end_cursor is not None:
        raise InvalidField("start_cursor", "cannot be combined with end_cursor.")
    backward = start_cursor is not None
    position = None
    if start_cursor is not None or end_cursor is not None:
        field = "start_cursor" if backward else "end_cursor"
        position = _decode(start_cursor if backward else end_cursor, sort, field)
    values = dict(params or {}, page_limit=per_page + 1)
    if position is not None:
        values.update(cursor_value=position[0], cursor_id=position[1])
    positioned = "none" if position is None else "null" if position[0] is None else "value"
    statements = _statements(query, sort, backward, positioned, params is not None)
    read = "driver" if plain and params is not None else "plain" if plain else "orm"
    rows = _rows(statements.page, values, read)
    if statements.rest is not None and len(rows) <= per_page:
        rows += _rows(statements.rest, dict(values, page_limit=per_page + 1 - len(rows)), read)
    more, rows = len(rows) > per_page, list(rows[:per_page])
    if backward:
        rows.reverse()
    # Rows on the cursor's own side exist when the client came from there.
    other_side = position is not None and bool(db.session.scalar(statements.before, values))
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


def _rows(statement, values: dict, read: str) -> list:
    # Plain rows skip the ORM's loading machinery; those of a statement built once, even
    # SQLAlchemy's execution of it (`driver_rows`).
    if read == "driver":
        return driver_rows.all(statement, values)
    if read == "plain":
        return db.session.connection().execute(statement, values).all()
    return db.session.execute(statement, values).scalars().all()


@dataclass(frozen=True)
class _Statements:
    query: object  # held, so that its id cannot be reused while it is a key below
    page: object
    before: object | None
    rest: object | None = None  # the page's continuation past rows without a value


_prepared: dict[tuple, _Statements] = {}


def _statements(query, sort: Sort, backward: bool, positioned: str, keep: bool) -> _Statements:
    """`positioned`: "none" (no cursor), "value" or "null" (a cursor at a row without a
    value of the sort's column)."""
    key = (id(query), sort.name, backward, positioned)
    if keep and (found := _prepared.get(key)) is not None:
        return found
    beyond, limit = None, bindparam("page_limit")
    if positioned != "none":
        beyond = _beyond(sort, forward=not backward, at_null=positioned == "null")
    before = None if beyond is None else select(query.where(not_(beyond)).exists())
    if beyond is not None and sort.nullable:
        parts = _nullable_parts(sort, forward=not backward, at_null=positioned == "null")
        page, rest = (
            None if part is None else query.where(part[0]).order_by(*part[1]).limit(limit)
            for part in parts
        )
        statements = _Statements(query, page, before, rest)
    else:
        page = query if beyond is None else query.where(beyond)
        page = page.order_by(*_order(sort, reverse=backward)).limit(limit)
        statements = _Statements(query, page, before)
    if keep:
        if len(_prepared) >= 512:  # a bound on queries built once by mistake per request
            _prepared.clear()
        _prepared[key] = statements
    return statements


def _order(sort: Sort, *, reverse: bool):
    descending = sort.descending != reverse
    order = [c.desc() if descending else c.asc() for c in _keys(sort)]
    if sort.nullable:  # rows without a value last when ascending (both databases agree)
        order[0] = order[0].nulls_first() if descending else order[0].nulls_last()
    return order


def _keys(sort: Sort) -> list:
    """The columns a list is ordered by: the sort's column, then the id to break ties."""
    if sort.column is sort.id_column:
        return [sort.id_column]
    return [sort.column, sort.id_column]


def _beyond(sort: Sort, *, forward: bool, at_null: bool = False):
    """Rows strictly after the cursor's position in the list's order (before it when not
    `forward`); the position is the parameters `cursor_value` and `cursor_id` (`at_null`: a
    row without a value, where only the id places it).

    One comparison of the order's columns as a row value, `(column, id) > (value, id)`,
    which both databases answer by seeking an index in that order to the position: a page
    deep in a long list costs what the first one does. (The same condition spelled with OR
    is read from the list's start, row by row, up to the position.)"""
    keys = _keys(sort)
    position = [bindparam("cursor_value", type_=keys[0].type)]
    if len(keys) == 2:
        position.append(bindparam("cursor_id", type_=sort.id_column.type))
    later = forward != sort.descending
    if len(keys) == 1:
        return keys[0] > position[0] if later else keys[0] < position[0]
    row, at = tuple_(*keys), tuple_(*position)
    if not sort.nullable:
        return row > at if later else row < at
    # Rows without a value come after all others, in id order: a comparison with NULL is
    # never true, so each side is spelled out.
    column, id_column, cursor_id = keys[0], keys[1], position[1]
    if at_null:
        among_nulls = and_(
            column.is_(None), id_column > cursor_id if later else id_column < cursor_id
        )
        return among_nulls if later else or_(column.is_not(None), among_nulls)
    return or_(row > at, column.is_(None)) if later else and_(column.is_not(None), row < at)


def _nullable_parts(sort: Sort, *, forward: bool, at_null: bool) -> tuple:
    """A page after a cursor, in a nullable sort, as (condition, order) for the rows up to
    the rows without a value (or among them), then for the rest past that boundary (or
    None): each seeks its index to where it starts, which `_beyond`'s one condition, an OR
    with "IS NULL", does not let either database do."""
    column, id_column = _keys(sort)
    cursor = [
        bindparam("cursor_value", type_=column.type),
        bindparam("cursor_id", type_=id_column.type),
    ]
    later = forward != sort.descending  # toward larger values, and past them the nulls
    # Among the nulls too the order names the column: the index's own order (PostgreSQL
    # would sort by the id alone, not seeing that the column is the same in every row).
    up, down = [column.asc(), id_column.asc()], [column.desc(), id_column.desc()]
    if at_null and later:
        return (and_(column.is_(None), id_column > cursor[1]), up), None
    if at_null:  # toward smaller ids among the nulls, then every value from the largest
        nulls = (and_(column.is_(None), id_column < cursor[1]), down)
        return nulls, (column.is_not(None), down)
    if later:
        values = (tuple_(column, id_column) > tuple_(*cursor), up)
        return values, (column.is_(None), up)
    return (tuple_(column, id_column) < tuple_(*cursor), down), None


# A cursor is its position as JSON, in URL-safe base64, then "~" and an HMAC-SHA256 of that
# text (its first 18 bytes) under a key derived from SECRET_KEY: `payload~signature`. It is
# signed, not secret: a client may read it, never forge it.
SEPARATOR = "~"
SIGNATURE_BYTES = 18


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"api-cursor", hashlib.sha256).digest()


def _signature(payload: bytes) -> bytes:
    digest = hmac.new(_key(current_app.config["SECRET_KEY"]), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES])


def _encode(row, sort: Sort) -> str:
    value = sort.value_of(row)
    if isinstance(value, date):  # datetimes too
        value = value.isoformat()
    position = json.dumps([sort.name, value, row.id], separators=(",", ":"))
    payload = base64.urlsafe_b64encode(position.encode()).rstrip(b"=")
    return (payload + SEPARATOR.encode() + _signature(payload)).decode()


def _decode(cursor: str, sort: Sort, field: str) -> tuple:
    try:
        name, value, row_id = _opened(cursor)
    except (BadData, TypeError, ValueError, UnicodeError):
        raise InvalidField(field, "is not a cursor this API issued.") from None
    if name != sort.name or not isinstance(row_id, int):
        raise InvalidField(field, f"belongs to another sort order than {sort.name}.")
    if value is None and not sort.nullable:
        raise InvalidField(field, "is not a cursor this API issued.")
    return _typed(value, field), row_id


def _opened(cursor: str):
    """The position a cursor names. Raises ValueError (BadData for the older kind) for one
    we did not sign."""
    if SEPARATOR not in cursor:
        # Issued before cursors were signed this way (the same key and salt): a client
        # holding one still pages on.
        return _legacy_serializer(current_app.config["SECRET_KEY"]).loads(cursor)
    payload, _, signature = cursor.encode("ascii").rpartition(SEPARATOR.encode())
    if not hmac.compare_digest(signature, _signature(payload)):
        raise ValueError("not signed by us")
    return json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))


@lru_cache(maxsize=4)
def _legacy_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="api-cursor")


def _typed(value, field: str):
    # The cursor is signed, so its value is one we wrote: an id, a timestamp as ISO text, or
    # nothing (a row without a value of a nullable sort column).
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField(field, "is not a cursor this API issued.")
