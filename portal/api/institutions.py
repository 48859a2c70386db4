"""Institutions, locations and sync status: what the caller's key reaches."""

from flask import g

from portal.api import bp, envelope, limits, params, shapes
from portal.services.records import api_access, sync_status


@bp.get("/institutions")
@limits.general
def list_institutions():
    institutions = api_access.institutions(g.caller)
    return envelope.collection(
        [shapes.institution(i, api_access.locations(g.caller, i)) for i in institutions]
    )


@bp.get("/institutions/<int:institution_id>")
@limits.general
def show_institution(institution_id: int):
    institution = api_access.institution_by_id(g.caller, institution_id)
    return envelope.success(
        shapes.institution(institution, api_access.locations(g.caller, institution))
    )


@bp.get("/locations")
@limits.general
def list_locations():
    subdomain = params.text("subdomain")
    inactive = params.boolean("inactive")
    institutions = api_access.institutions(g.caller, subdomain)
    # Locations are never inactive here, so inactive=true lists each institution with none.
    return envelope.collection(
        [
            shapes.institution_with_locations(
                i, [] if inactive else api_access.locations(g.caller, i)
            )
            for i in institutions
        ]
    )


@bp.get("/locations/<int:location_id>")
@limits.general
def show_location(location_id: int):
    return envelope.success(shapes.location(api_access.location_by_id(g.caller, location_id)))


@bp.get("/sync_status")
@limits.general
def list_sync_status():
    institutions = api_access.institutions(g.caller, params.text("subdomain"))
    states = sync_status.statuses(g.caller, institutions)
    return envelope.collection([shapes.sync_status(state) for state in states])
