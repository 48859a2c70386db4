"""Providers and operatories."""

from flask import g

from portal import edge
from portal.api import appointment_shapes, inputs, patient_shapes
from portal.api.operations import One, Paged, operation
from portal.records import Operatory, Provider
from portal.services.records import api_access, practice_records


@operation(
    "GET",
    "/providers",
    "Providers",
    query=inputs.Providers,
    answer=Paged(patient_shapes.Provider),
    errors=(403, 404),
)
def list_providers(query: inputs.Providers):
    institution = api_access.institution(g.caller, query.subdomain)
    filters = practice_records.Filters(
        ids=query.ids, foreign_id=query.foreign_id, updated_since=query.updated_since
    )
    result = practice_records.providers(
        g.caller,
        institution,
        api_access.location_if_given(g.caller, institution, query.location_id),
        filters,
        inactive=query.inactive or False,
        **query.page(),
    )
    places = api_access.locations_by_id({p.location_id for p in result.items})
    items = [patient_shapes.provider(p, places[p.location_id]) for p in result.items]
    return edge.page(items, result.page_info)


@operation(
    "GET",
    "/providers/<int:id>",
    "One provider",
    query=inputs.AtInstitution,
    answer=One(patient_shapes.Provider),
    errors=(403, 404),
)
def show_provider(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    provider = practice_records.get(Provider, g.caller, institution, id)
    return edge.success(patient_shapes.provider(provider, api_access.location_of(provider)))


@operation(
    "GET",
    "/operatories",
    "Operatories of a location",
    query=inputs.Operatories,
    answer=Paged(appointment_shapes.Operatory),
    errors=(403, 404),
)
def list_operatories(query: inputs.Operatories):
    institution = api_access.institution(g.caller, query.subdomain)
    location = api_access.location_if_given(g.caller, institution, query.location_id)
    filters = practice_records.Filters(
        foreign_id=query.foreign_id, updated_since=query.updated_since
    )
    result = practice_records.operatories(
        location,
        filters,
        name=query.search_name,
        **query.page(),
    )
    items = [appointment_shapes.operatory(row, location) for row in result.items]
    return edge.page(items, result.page_info)


@operation(
    "GET",
    "/operatories/<int:id>",
    "One operatory",
    query=inputs.AtInstitution,
    answer=One(appointment_shapes.Operatory),
    errors=(403, 404),
)
def show_operatory(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    operatory = practice_records.get(Operatory, g.caller, institution, id)
    return edge.success(appointment_shapes.operatory(operatory, api_access.location_of(operatory)))
