"""Institutions, locations and sync status: what the caller's key reaches."""

from flask import g

from portal import edge
from portal.api import inputs, shapes
from portal.api.operations import Listed, One, operation
from portal.services.records import api_access, sync_status


@operation("GET", "/institutions", "Institutions you reach", answer=Listed(shapes.Institution))
def list_institutions():
    institutions = api_access.institutions(g.caller)
    return edge.collection(
        [shapes.institution(i, api_access.locations(g.caller, i)) for i in institutions]
    )


@operation(
    "GET",
    "/institutions/<int:id>",
    "One institution",
    answer=One(shapes.Institution),
    errors=(404,),
)
def show_institution(id: int):
    institution = api_access.institution_by_id(g.caller, id)
    return edge.success(
        shapes.institution(institution, api_access.locations(g.caller, institution))
    )


@operation(
    "GET",
    "/locations",
    "Institutions with their locations",
    query=inputs.Locations,
    answer=Listed(shapes.InstitutionWithLocations),
    errors=(403,),
)
def list_locations(query: inputs.Locations):
    institutions = api_access.institutions(g.caller, query.subdomain)
    # Locations are never inactive here, so inactive=true lists each institution with none.
    return edge.collection(
        [
            shapes.institution_with_locations(
                i, [] if query.inactive else api_access.locations(g.caller, i)
            )
            for i in institutions
        ]
    )


@operation("GET", "/locations/<int:id>", "One location", answer=One(shapes.Location), errors=(404,))
def show_location(id: int):
    return edge.success(shapes.location(api_access.location_by_id(g.caller, id)))


@operation(
    "GET",
    "/sync_status",
    "Synchronizer status",
    query=inputs.OptionalInstitution,
    answer=Listed(shapes.SyncStatus),
    errors=(403,),
)
def list_sync_status(query: inputs.OptionalInstitution):
    institutions = api_access.institutions(g.caller, query.subdomain)
    states = sync_status.statuses(g.caller, institutions)
    return edge.collection([shapes.sync_status(state) for state in states])
