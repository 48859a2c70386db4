"""The institutions a caller reaches, a page at a time, with their reachable locations and
syncs read in a fixed number of queries whatever the page size."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Institution, Location
from portal.services import pagination
from portal.services.pagination import Page
from portal.services.records import api_access
from portal.services.records.api_access import Caller

SORTS = ("id",)


def institutions(caller: Caller, subdomain: str | None = None, *, per_page: int, **cursors) -> Page:
    """A page of the reachable institutions by id, their syncs loaded; only the one for
    `subdomain` when given (Forbidden if the caller does not reach it)."""
    query = select(Institution).options(selectinload(Institution.syncs))
    if subdomain is not None:
        query = query.where(Institution.id == api_access.institution(caller, subdomain).id)
    else:
        query = query.where(Institution.id.in_(api_access.reachable_institution_ids(caller)))
    order = pagination.sort_by("id", Institution, SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def locations(caller: Caller, institutions: list[Institution]) -> dict[int, list[Location]]:
    """The reachable locations of each institution, by institution id, in one query."""
    found: dict[int, list[Location]] = defaultdict(list)
    if not institutions:
        return found
    ids = [i.id for i in institutions]
    rows = db.session.scalars(
        select(Location)
        .where(
            Location.institution_id.in_(ids),
            Location.id.in_(api_access.reachable_location_ids(caller)),
        )
        .order_by(Location.id)
    )
    for location in rows:
        found[location.institution_id].append(location)
    return found
