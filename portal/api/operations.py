"""Each API operation declared once: its route, rate limit, what it reads and what it
answers. The declaration registers the route, reads and checks the query string and body
before the view runs, and is what /api/openapi.json is generated from."""

import functools
from dataclasses import dataclass

from flask import g, request

from portal import edge
from portal.api import bp, limits
from portal.api.inputs import Query
from portal.services.records import api_access
from portal.services.records.api_access import InvalidField


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


OPERATIONS: list[Operation] = []
OPEN_ENDPOINTS: set[str] = set()


def operation(method: str, rule: str, summary: str, *, limit=limits.general, **declared):
    """Register the decorated view at `rule` for `method`. The view is called with the
    path's values and, when declared, `query=` and `body=` already read into their shapes."""

    def register(view):
        found = Operation(method, rule, f"api.{view.__name__}", summary, **declared)
        OPERATIONS.append(found)
        if found.open:
            OPEN_ENDPOINTS.add(found.endpoint)

        @functools.wraps(view)
        def read_then_call(**path):
            query = _read(edge.query, found.query or Query)
            if found.query is not None:
                path["query"] = query
            if found.body is not None:
                path["body"] = _read(edge.body, found.body)
            return view(**path)

        routed = limit(read_then_call) if limit else read_then_call
        bp.add_url_rule(rule, view.__name__, routed, methods=[method])
        return view

    return register


def _read(reader, shape):
    try:
        return reader(shape)
    except InvalidField as error:
        # A subdomain the caller cannot reach is refused before any other mistake is named,
        # so that the answer says nothing more about other organizations' institutions.
        subdomain = request.args.get("subdomain")
        if error.field != "subdomain" and subdomain and "caller" in g:
            api_access.institution(g.caller, subdomain)
        raise
