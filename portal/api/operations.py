"""Each API operation declared once: its route, rate limit, what it reads and what it
answers. The declaration registers the route, reads and checks the query string and body
before the view runs, and is what /api/openapi.json is generated from."""

import functools
from dataclasses import dataclass

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from portal import edge
from portal.api import bp, checked_caller, limits
from portal.api.inputs import Query
from portal.services.records import api_access
from portal.services.records.api_access import InvalidCredentials, InvalidField


@dataclass(frozen=True)
class One:
    """`data` is one `shape`."""

    shape: type


@dataclass(frozen=True)
class Listed:
    """`data` is a whole list of `shape`, with `count`."""

    shape: type


@dataclass(frozen=True)
class Paged:
    """`data` is one page of `shape`, with `page_info`."""

    shape: type


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    answer: One | Listed | Paged
    query: type | None = None
    body: type | None = None
    statuses: tuple[int, ...] = (200,)
    errors: tuple[int, ...] = ()
    tag: str = "Records"
    open: bool = False  # reached without a bearer token
    # The view's statement checks the token's key itself (`api_access.reachable_by_key`):
    # before the view only the token's signature and expiry are (`g.bearer`).
    key_in_statement: bool = False


OPERATIONS: list[Operation] = []
OPEN_ENDPOINTS: set[str] = set()
KEY_IN_STATEMENT: set[str] = set()


def operation(method: str, rule: str, summary: str, *, limit=limits.general, **declared):
    """Register the decorated view at `rule` for `method`. The view is called with the
    path's values and, when declared, `query=` and `body=` already read into their shapes."""

    def register(view):
        found = Operation(method, rule, f"api.{view.__name__}", summary, **declared)
        OPERATIONS.append(found)
        if found.open:
            OPEN_ENDPOINTS.add(found.endpoint)
        if found.key_in_statement:
            KEY_IN_STATEMENT.add(found.endpoint)

        @functools.wraps(view)
        def read_then_call(**path):
            query = _read(edge.query, found.query or Query)
            if found.query is not None:
                path["query"] = query
            if found.body is not None:
                path["body"] = _read(edge.body, found.body)
            return view(**path)

        routed = limit(read_then_call) if limit else read_then_call
        if found.key_in_statement:
            routed = _key_first(routed)
        bp.add_url_rule(rule, view.__name__, routed, methods=[method])
        return view

    return register


def _key_first(call):
    """For an operation whose statement checks the key: whatever goes wrong (a mistake named,
    a rate limit, no such location), a key that no longer works is refused first (401), as
    for every other operation, and the error is logged with its caller."""

    @functools.wraps(call)
    def key_checked_on_failure(**path):
        try:
            return call(**path)
        except (SQLAlchemyError, InvalidCredentials):
            raise  # the key was refused already, or the database failed: asking again hides it
        except Exception:
            checked_caller()
            raise

    return key_checked_on_failure


def _read(reader, shape):
    try:
        return reader(shape)
    except InvalidField as error:
        # A subdomain the caller cannot reach is refused before any other mistake is named,
        # so that the answer says nothing more about other organizations' institutions.
        subdomain = request.args.get("subdomain")
        if error.field != "subdomain" and subdomain and request.endpoint not in OPEN_ENDPOINTS:
            api_access.institution(checked_caller(), subdomain)
        raise
