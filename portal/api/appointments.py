"""Appointments: list a time window, show one, book, confirm or cancel."""

from flask import g

from portal import edge
from portal.api import inputs, limits, shapes
from portal.api.operations import One, Paged, operation
from portal.services.records import api_access, appointments


def _location(query: inputs.AtLocation):
    institution = api_access.institution(g.caller, query.subdomain)
    return api_access.location(g.caller, institution, query.location_id)


@operation(
    "GET",
    "/appointments",
    "Appointments starting in a time window",
    query=inputs.Appointments,
    answer=Paged(shapes.Appointment),
    errors=(403, 404),
    limit=limits.records,
)
def list_appointments(query: inputs.Appointments):
    institution = api_access.institution(g.caller, query.subdomain)
    if query.location_id is None:
        place = api_access.reachable_location_ids(g.caller, institution)
    else:
        place = api_access.location(g.caller, institution, query.location_id)
    zone = shapes.zone(query.timezone, "timezone") if query.timezone else None
    filters = appointments.Filters(
        start=query.start,
        end=query.end,
        cancelled=query.cancelled,
        patient_ids=query.patient_ids,
        provider_ids=query.provider_ids,
        operatory_ids=query.operatory_ids,
        updated_since=query.updated_since,
        unavailable=query.unavailable,
        appointment_type_id=query.appointment_type_id,
        foreign_id=query.foreign_id,
    )
    result = appointments.search(
        place,
        filters,
        sort=query.sort,
        per_page=query.per_page,
        start_cursor=query.start_cursor,
        end_cursor=query.end_cursor,
    )
    places = api_access.locations_by_id({row.location_id for row in result.items})
    items = [shapes.appointment(row, places[row.location_id], zone=zone) for row in result.items]
    return edge.page(items, result.page_info)


@operation(
    "GET",
    "/appointments/<int:id>",
    "One appointment, with its patient",
    query=inputs.AtInstitution,
    answer=One(shapes.AppointmentWithPatient),
    errors=(403, 404),
    limit=limits.records,
)
def show_appointment(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    row = appointments.get(g.caller, institution, id)
    place = api_access.location_of(row)
    return edge.success(shapes.appointment(row, place, with_patient=True))


@operation(
    "POST",
    "/appointments",
    "Book an appointment (no overlap for the provider or the operatory)",
    query=inputs.AtLocation,
    body=inputs.AppointmentCreate,
    answer=One(shapes.AppointmentAnswer),
    statuses=(201,),
    errors=(403, 404),
    limit=limits.records,
)
def book_appointment(query: inputs.AtLocation, body: inputs.AppointmentCreate):
    location = _location(query)
    appt = body.appt
    booking = appointments.Booking(
        patient_id=appt.patient_id,
        provider_id=appt.provider_id,
        start_time=appt.start_time,
        end_time=appt.end_time,
        operatory_id=appt.operatory_id,
        appointment_type_id=appt.appointment_type_id,
        note=appt.note,
    )
    row = appointments.book(location, booking, caller=g.caller)
    answer = shapes.AppointmentAnswer(appt=shapes.appointment(row, location))
    return edge.success(answer, 201, "Appointment booked")


@operation(
    "PATCH",
    "/appointments/<int:id>",
    "Confirm or cancel an appointment",
    query=inputs.AtInstitution,
    body=inputs.AppointmentUpdate,
    answer=One(shapes.AppointmentAnswer),
    errors=(403, 404),
    limit=limits.records,
)
def update_appointment(id: int, query: inputs.AtInstitution, body: inputs.AppointmentUpdate):
    institution = api_access.institution(g.caller, query.subdomain)
    row = appointments.get(g.caller, institution, id)
    change = body.appt
    row = appointments.update(
        row, confirmed=change.confirmed, cancelled=change.cancelled, caller=g.caller
    )
    place = api_access.location_of(row)
    answer = shapes.AppointmentAnswer(appt=shapes.appointment(row, place))
    return edge.success(answer, 200, "Appointment updated")
