"""The one CSV writer of the app: every download (console exports, the import's files, the
usage export) streams through `response`, which makes each cell safe for spreadsheets."""

import csv
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from operator import attrgetter

from flask import Response, stream_with_context
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ColumnProperty, RelationshipProperty
from werkzeug.utils import secure_filename

from portal.extensions import db
from portal.services import read_ahead

# A cell starting with one of these is run as a formula by spreadsheet programs (the
# full-width forms too, which some of them read as the ASCII ones).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CHUNK_CHARACTERS = 64 * 1024  # a download is sent in pieces of about this size
RELATED_CACHE = 1024  # related objects (e.g. organizations) kept while a download streams


class _Echo:
    def write(self, value: str) -> str:
        return value


FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each of them is one character


def cell(value) -> str:
    """The text of one cell. Whatever the value (text, a related object, an enum...), text
    that a spreadsheet would evaluate is prefixed with `'`; numbers stay numbers."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text
    return "'" + text if text[:1] in FORMULA_FIRST else text


def _cells(row: list) -> list[str]:
    # `cell` of each value, with text (most cells) checked without a call per cell.
    return [("'" + v if v[:1] in FORMULA_FIRST else v) if type(v) is str else cell(v) for v in row]


def response(rows: Iterable[list], filename: str) -> Response:
    """A streamed text/csv attachment of `rows`, every cell through `cell`. The rows are
    consumed lazily, inside the request's context (they may read the database)."""
    writer = csv.writer(_Echo())
    return Response(
        stream_with_context(_chunks(writer.writerow(_cells(row)) for row in rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={secure_filename(filename)}"},
    )


def _chunks(lines: Iterable[str]) -> Iterator[str]:
    """`lines` joined into pieces of about CHUNK_CHARACTERS, each ending with a whole line:
    the server sends a piece at a time instead of a line (a system call each, 100,000 for a
    big export), and memory stays flat."""
    piece, size = [], 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= CHUNK_CHARACTERS:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def values(view, query, names: list[str], batch: int) -> Iterator[list]:
    """The exported values of each row of `query` (the view's scoped, filtered, sorted list),
    as `view.get_export_value` gives them, fetched `batch` rows at a time.

    Without export formatters (or with only `of_value` ones), only the exported columns are
    selected, as plain rows, and a many-to-one relationship by its key (its rows are few,
    read once each), the next batches read ahead while this one is written (`read_ahead`);
    with other formatters, which may read anything, whole objects are loaded.

    This runs while the response streams, after the view's request has ended and closed the
    session `query` was built on: the query moves to the session of the streaming context,
    which is closed when the stream ends (else its connection stays idle in a transaction).
    """
    query = query.with_session(db.session())
    plan = _plain_plan(view, names)
    if plan is None:
        getters = [_attribute(view, name) for name in names]
        for row in _objects(view.model, query, batch):
            yield [get(row) for get in getters]
        return
    selected, readers = plan
    lean = query.enable_eagerloads(False).with_entities(*selected)
    for row in read_ahead.rows(lean, batch):
        cells = zip(readers, row, strict=True)
        yield [value if read is None else read(value) for read, value in cells]


def _objects(model, query, batch: int) -> Iterator:
    """The objects of `query` in order, `batch` at a time: the ids first (one lean, streamed
    query), then each batch's objects with the view's eager loads. `yield_per` itself
    cannot stream a query that eagerly joins a collection (e.g. a request's locations)."""
    [key] = sa_inspect(model).primary_key
    ids = read_ahead.rows(query.enable_eagerloads(False).with_entities(key), batch)
    chunk = []
    for (row_id,) in ids:
        chunk.append(row_id)
        if len(chunk) == batch:
            yield from _in_order(query, key, chunk)
            chunk = []
    yield from _in_order(query, key, chunk)


def _in_order(query, key, chunk: list) -> list:
    if not chunk:
        return []
    found = {getattr(row, key.key): row for row in query.filter(key.in_(chunk))}
    return [found[row_id] for row_id in chunk if row_id in found]


def of_value(read: Callable[[object], object]):
    """A column formatter that needs only its column's own value (`read(value)`). Lists and
    details use it as any formatter; an export with only such formatters keeps plain rows."""

    def formatter(view, context, model, name):
        return read(getattr(model, name))

    formatter.of_value = read
    return formatter


def _plain_plan(view, names: list[str]):
    """(columns to select, one reader per column), or None when a name needs the object. A
    column whose values no formatter changes has no reader (None): they go out as they are."""
    formatted = view.column_formatters_export or {}
    choices = getattr(view, "_column_choices_map", {})
    mapper = sa_inspect(view.model)
    selected, readers = [], []
    for name in names:
        prop = mapper.attrs.get(name)
        if choices.get(name):
            return None
        if name in formatted:  # only a formatter of the column's own value keeps plain rows
            read = getattr(formatted[name], "of_value", None)
            if read is None or not isinstance(prop, ColumnProperty):
                return None
            selected.append(getattr(view.model, name))
            readers.append(read)
        elif isinstance(prop, ColumnProperty):
            selected.append(getattr(view.model, name))
            readers.append(_column_reader(view, name, prop))
        elif _by_key(prop):
            [(local, _)] = prop.local_remote_pairs
            selected.append(local)
            readers.append(_related(view, name, prop.mapper.class_))
        else:
            return None
    return selected, readers


def _column_reader(view, name: str, prop: ColumnProperty):
    """The column's type formatters (`_typed`), or None when none can change its values:
    text and numbers, whose empty value is a blank cell either way (most of an export's
    cells, each a call saved)."""
    typed = _typed(view, name)
    try:
        kind = prop.columns[0].type.python_type
    except NotImplementedError:
        return typed
    formatters = view.column_type_formatters_export or {}
    if kind not in (str, int) or any(issubclass(kind, t) for t in formatters):
        return typed
    return None if typed(None) in (None, "") else typed


def _by_key(prop) -> bool:
    # A many-to-one on a single foreign key to the other table's primary key.
    if not isinstance(prop, RelationshipProperty) or prop.uselist:
        return False
    pairs = prop.local_remote_pairs
    return len(pairs) == 1 and list(prop.mapper.primary_key) == [pairs[0][1]]


def _related(view, name: str, model):
    typed = _typed(view, name)
    # Bounded, so that memory stays flat even when every row names another object.
    load = lru_cache(maxsize=RELATED_CACHE)(partial(db.session.get, model))
    return lambda key: typed(None if key is None else load(key))


def _attribute(view, name: str):
    """The value of `name` (dotted names allowed) read from an object, as Flask-Admin does."""
    if name in (view.column_formatters_export or {}) or getattr(
        view, "_column_choices_map", {}
    ).get(name):
        return partial(_exported, view, name)
    read, typed = attrgetter(name), _typed(view, name)

    def value(row):
        try:
            found = read(row)
        except AttributeError:  # a dotted name through an empty relationship
            found = None
        return typed(found)

    return value


def _exported(view, name: str, row):
    return view.get_export_value(row, name)


def _typed(view, name: str):
    """A value through the view's export type formatters, each looked up once per type."""
    type_formatters, by_type = view.column_type_formatters_export or {}, {}

    def typed(found):
        kind = type(found)
        if kind not in by_type:
            by_type[kind] = next(
                (fmt for typeobj, fmt in type_formatters.items() if isinstance(found, typeobj)),
                None,
            )
        formatter = by_type[kind]
        return found if formatter is None else formatter(view, found, name)

    return typed
