"""Plain rows of a prebuilt select, read straight from the driver's cursor.

SQLAlchemy's execution of a statement, even one compiled once and cached, costs more per
call than the driver's: the cache lookup, an execution context, the result's metadata
(psycopg builds a description of every column for it) and a Row per row. On the API's
busiest read that was a tenth of a request's CPU (BENCHMARKS.md). A statement built once
(`pagination.paginate(..., params=...)`) is compiled here once per dialect, and each call
hands its text and values to the cursor, the rows coming back as named tuples of the
select's column keys (label each expression: an unlabeled one gets a positional name).

The values are converted by their types as SQLAlchemy converts them. Only a statement whose
rows need no conversion goes this way, so the driver's rows are what SQLAlchemy would
return; any other (a boolean column on SQLite, a type converting what it reads, an IN list
expanded per call) runs through SQLAlchemy as before. Either way the engine's listeners see
the statement before and after it runs (query counts, traces), and a driver error is raised
as SQLAlchemy raises it, the connection dropped from the pool when the server is gone.
"""

from collections import namedtuple
from dataclasses import dataclass
from functools import partial
from weakref import WeakKeyDictionary

from sqlalchemy import Numeric

from portal.extensions import db


@dataclass(frozen=True)
class _Direct:
    text: str
    compiled: object
    convert: dict  # parameter name -> its type's conversion, for those that have one
    order: tuple | None  # the parameters' order, for a driver that takes them by position
    make_row: object


# dialect -> statement -> its _Direct (None: through SQLAlchemy); gone with the statement
_compiled: dict[str, WeakKeyDictionary] = {}


def all(statement, values: dict) -> list:  # noqa: A001 - read as driver_rows.all(...)
    """The rows of `statement` with `values`, on the session's connection."""
    connection = db.session.connection()
    direct = _direct(statement, connection.dialect)
    if direct is None:
        return connection.execute(statement, values).all()
    parameters = direct.compiled.construct_params(values)
    for name, convert in direct.convert.items():
        parameters[name] = convert(parameters[name])
    if direct.order is not None:
        parameters = tuple(parameters[name] for name in direct.order)
    cursor = connection.connection.driver_connection.cursor()
    shown = (connection, cursor, direct.text, parameters, None, False)
    connection.dispatch.before_cursor_execute(*shown)
    try:
        cursor.execute(direct.text, parameters)
        connection.dispatch.after_cursor_execute(*shown)
        return list(map(direct.make_row, cursor.fetchall()))
    except BaseException as error:
        # Handled as SQLAlchemy handles a failure of any statement it runs (and raised): the
        # driver's error wrapped, its values hidden as the engine says, the connection and
        # the pool's older ones dropped when the server has gone.
        connection._handle_dbapi_exception(error, direct.text, parameters, cursor, None)
    finally:
        cursor.close()


def _direct(statement, dialect) -> _Direct | None:
    known = _compiled.setdefault(dialect.name, WeakKeyDictionary())
    try:
        return known[statement]
    except KeyError:
        found = known[statement] = _compile(statement, dialect)
        return found


def _compile(statement, dialect) -> _Direct | None:
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None
    if any(not _read_as_is(column.type, dialect) for column in statement.selected_columns):
        return None
    convert = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            convert[compiled.escaped_bind_names.get(name, name)] = process
    row = namedtuple("Row", statement.selected_columns.keys(), rename=True)
    order = None
    if compiled.positional:  # in the escaped names `construct_params` gives
        order = tuple(compiled.escaped_bind_names.get(n, n) for n in compiled.positiontup)
    # The driver's tuple made a Row without a call in Python per row (`Row._make` is one).
    return _Direct(compiled.string, compiled, convert, order, partial(tuple.__new__, row))


def _read_as_is(kind, dialect) -> bool:
    """Whether SQLAlchemy returns the driver's values of this type unconverted. Numbers
    with a scale are converted by the type the driver reports for each result (psycopg's),
    which is not known before the statement runs."""
    if isinstance(kind, Numeric):
        return False
    return kind.dialect_impl(dialect).result_processor(dialect, None) is None
