"""Appointment types: listed and shown with their descriptors, created, changed, deleted."""

from flask import g

from portal import edge
from portal.api import appointment_shapes as shaped
from portal.api import inputs
from portal.api import schedule_inputs as reads
from portal.api.operations import One, Paged, operation
from portal.records import AppointmentType
from portal.services.records import api_access, appointment_types, practice_records
from portal.services.records.api_access import InvalidField


@operation(
    "GET",
    "/appointment_types",
    "Appointment types, with their descriptors",
    query=inputs.AppointmentTypes,
    answer=Paged(shaped.AppointmentTypeWithDescriptors),
    errors=(403, 404),
)
def list_appointment_types(query: inputs.AppointmentTypes):
    institution = api_access.institution(g.caller, query.subdomain)
    result = practice_records.appointment_types(
        g.caller,
        institution,
        api_access.location_if_given(g.caller, institution, query.location_id),
        **query.page(),
    )
    places = api_access.locations_by_id({t.location_id for t in result.items})
    items = [
        shaped.appointment_type_with_descriptors(t, places[t.location_id]) for t in result.items
    ]
    return edge.page(items, result.page_info, count=len(items))


@operation(
    "GET",
    "/appointment_types/<int:id>",
    "One appointment type, with its descriptors",
    query=inputs.AppointmentTypeAt,
    answer=One(shaped.AppointmentTypeWithDescriptors),
    errors=(403, 404),
)
def show_appointment_type(id: int, query: inputs.AppointmentTypeAt):
    institution = api_access.institution(g.caller, query.subdomain)
    location = api_access.location_if_given(g.caller, institution, query.location_id)
    row = practice_records.get(AppointmentType, g.caller, institution, id, location)
    place = api_access.location_of(row)
    return edge.success(shaped.appointment_type_with_descriptors(row, place))


def _fields(body: reads.AppointmentTypeBody) -> appointment_types.TypeFields:
    given = body.appointment_type
    return appointment_types.TypeFields(
        name=given.name,
        minutes=given.minutes,
        bookable_online=given.bookable_online,
        descriptor_ids=given.emr_appt_descriptor_ids,
    )


@operation(
    "POST",
    "/appointment_types",
    "Create an appointment type at a location",
    query=inputs.AtInstitution,
    body=reads.AppointmentTypeBody,
    answer=One(shaped.AppointmentType),
    statuses=(201,),
    errors=(403, 404),
)
def create_appointment_type(query: inputs.AtInstitution, body: reads.AppointmentTypeBody):
    institution = api_access.institution(g.caller, query.subdomain)
    location_id = body.location_id or body.appointment_type.parent_id
    if location_id is None:
        raise InvalidField("location_id", "is required: appointment types belong to a location.")
    location = api_access.location(g.caller, institution, location_id)
    row = appointment_types.create(location, _fields(body), caller=g.caller)
    return edge.success(shaped.appointment_type(row), 201, "Appointment type created")


@operation(
    "PATCH",
    "/appointment_types/<int:id>",
    "Change an appointment type",
    query=inputs.AtInstitution,
    body=reads.AppointmentTypeBody,
    answer=One(shaped.AppointmentType),
    errors=(403, 404),
)
def change_appointment_type(id: int, query: inputs.AtInstitution, body: reads.AppointmentTypeBody):
    institution = api_access.institution(g.caller, query.subdomain)
    row = practice_records.get(AppointmentType, g.caller, institution, id)
    moved = body.location_id or body.appointment_type.parent_id
    if moved not in (None, row.location_id):
        raise InvalidField(
            "location_id", "cannot change: an appointment type stays at its location."
        )
    row = appointment_types.change(row, _fields(body), caller=g.caller)
    return edge.success(shaped.appointment_type(row))


@operation(
    "DELETE",
    "/appointment_types/<int:id>",
    "Delete an appointment type (its appointments keep their times)",
    query=reads.AppointmentTypeDelete,
    answer=One(shaped.AppointmentType),
    errors=(403, 404),
)
def delete_appointment_type(id: int, query: reads.AppointmentTypeDelete):
    institution = api_access.institution(g.caller, query.subdomain)
    location = api_access.location_if_given(g.caller, institution, query.location_id)
    row = practice_records.get(AppointmentType, g.caller, institution, id, location)
    shape = shaped.appointment_type(row)
    appointment_types.delete(row, caller=g.caller)
    return edge.success(shape)
