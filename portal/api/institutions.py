"""Institutions, locations and sync status: what the caller's key reaches, a page of
institutions at a time, in a fixed number of queries."""

from flask import g

from portal import edge
from portal.api import inputs, shapes
from portal.api.operations import One, Paged, operation
from portal.services import NotFound
from portal.services.records import api_access, institution_lists, sync_status


def _page(query, subdomain: str | None = None):
    return institution_lists.institutions(
        g.caller,
        subdomain,
        **query.page(),
    )


@operation(
    "GET",
    "/institutions",
    "Institutions you reach",
    query=inputs.Institutions,
    answer=Paged(shapes.Institution),
)
def list_institutions(query: inputs.Institutions):
    page = _page(query)
    locations = institution_lists.locations(g.caller, page.items)
    items = [shapes.institution(i, locations.get(i.id, [])) for i in page.items]
    return edge.page(items, page.page_info, count=len(items))


@operation(
    "GET",
    "/institutions/<int:id>",
    "One institution",
    query=inputs.OptionalInstitution,
    answer=One(shapes.Institution),
    errors=(404,),
)
def show_institution(id: int, query: inputs.OptionalInstitution):
    institution = api_access.institution_by_id(g.caller, id)
    if query.subdomain not in (None, institution.subdomain):
        raise NotFound("Institution not found.")
    return edge.success(
        shapes.institution(institution, api_access.locations(g.caller, institution))
    )


@operation(
    "GET",
    "/locations",
    "Institutions with their locations",
    query=inputs.Locations,
    answer=Paged(shapes.InstitutionWithLocations),
    errors=(403,),
)
def list_locations(query: inputs.Locations):
    page = _page(query, query.subdomain)
    found = institution_lists.locations(g.caller, page.items)

    def kept(locations):
        # Locations are never inactive here, so inactive=true lists each institution with none.
        if query.inactive:
            return []
        return [x for x in locations if query.foreign_id in (None, x.foreign_id)]

    items = [shapes.institution_with_locations(i, kept(found.get(i.id, []))) for i in page.items]
    return edge.page(items, page.page_info, count=len(items))


@operation(
    "GET",
    "/locations/<int:id>",
    "One location",
    query=inputs.OptionalInstitution,
    answer=One(shapes.Location),
    errors=(404,),
)
def show_location(id: int, query: inputs.OptionalInstitution):
    location = api_access.location_by_id(g.caller, id)
    if query.subdomain not in (None, location.institution.subdomain):
        raise NotFound("Location not found.")
    return edge.success(shapes.location(location))


@operation(
    "GET",
    "/sync_status",
    "Synchronizer status",
    query=inputs.SyncStatuses,
    answer=Paged(shapes.SyncStatus),
    errors=(403,),
)
def list_sync_status(query: inputs.SyncStatuses):
    page = _page(query, query.subdomain)
    states = sync_status.statuses(page.items, institution_lists.locations(g.caller, page.items))
    items = [shapes.sync_status(state) for state in states if _wanted(state, query)]
    return edge.page(items, page.page_info, count=len(items))


def _wanted(state, query: inputs.SyncStatuses) -> bool:
    health = {True: "green", False: "red"}
    if query.read_status and health[state.read_green] != query.read_status:
        return False
    if query.write_status and health[state.write_green] != query.write_status:
        return False
    ids = set(query.location_ids)
    return not ids or any(location.id in ids for location in state.locations)
