"""Working hours (read and written), their labels, and the available slots they leave."""

from flask import g

from portal import edge
from portal.api import inputs
from portal.api import schedule_inputs as reads
from portal.api import schedule_shapes as shaped
from portal.api.operations import Listed, One, Paged, operation
from portal.records import AppointmentType
from portal.services.records import api_access, practice_records, slots, working_hours


def _hours(fields: reads.WorkingHourFields) -> working_hours.Hours:
    every = fields.custom_recurrence
    return working_hours.Hours(
        provider_id=fields.provider_id,
        begin_time=fields.begin_time,
        end_time=fields.end_time,
        operatory_id=fields.operatory_id,
        appointment_type_ids=fields.appointment_type_ids,
        days=fields.days,
        specific_date=fields.specific_date,
        custom_recurrence=working_hours.Recurrence(every.num, every.ref, every.unit)
        if every
        else None,
        active=fields.active,
    )


@operation(
    "GET",
    "/working_hours",
    "Working hours of a location",
    query=reads.WorkingHours,
    answer=Paged(shaped.WorkingHour),
    errors=(403, 404),
)
def list_working_hours(query: reads.WorkingHours):
    location = api_access.place(g.caller, query.subdomain, query.location_id)
    filters = working_hours.Filters(
        provider_id=query.provider_id,
        operatory_id=query.operatory_id,
        label_id=query.label_id,
        source=query.source,
        active=query.active,
        ignore_past_dates=query.ignore_past_dates,
    )
    result = working_hours.search(
        location,
        filters,
        **query.page(),
    )
    items = [shaped.working_hour(row, location) for row in result.items]
    return edge.page(items, result.page_info)


@operation(
    "GET",
    "/working_hours/<int:id>",
    "One working hour",
    query=reads.WorkingHourAt,
    answer=One(shaped.WorkingHour),
    errors=(403, 404),
)
def show_working_hour(id: int, query: reads.WorkingHourAt):
    row = working_hours.get(g.caller, api_access.institution(g.caller, query.subdomain), id)
    return edge.success(shaped.working_hour(row, api_access.location_of(row)))


@operation(
    "POST",
    "/working_hours",
    "Create a working hour",
    query=inputs.AtLocation,
    body=reads.WorkingHourBody,
    answer=One(shaped.WorkingHourAnswer),
    statuses=(201,),
    errors=(403, 404),
)
def create_working_hour(query: inputs.AtLocation, body: reads.WorkingHourBody):
    location = api_access.place(g.caller, query.subdomain, query.location_id)
    row = working_hours.create(location, _hours(body.working_hour), caller=g.caller)
    answer = shaped.WorkingHourAnswer(working_hour=shaped.working_hour(row, location))
    return edge.success(answer, 201, "Working hour created")


@operation(
    "PATCH",
    "/working_hours/<int:id>",
    "Change a working hour",
    query=inputs.AtInstitution,
    body=reads.WorkingHourBody,
    answer=One(shaped.WorkingHour),
    errors=(403, 404),
)
def change_working_hour(id: int, query: inputs.AtInstitution, body: reads.WorkingHourBody):
    row = working_hours.get(g.caller, api_access.institution(g.caller, query.subdomain), id)
    row = working_hours.change(row, _hours(body.working_hour), caller=g.caller)
    return edge.success(shaped.working_hour(row, api_access.location_of(row)))


@operation(
    "DELETE",
    "/working_hours/<int:id>",
    "Delete a working hour",
    query=inputs.AtInstitution,
    answer=None,
    statuses=(204,),
    errors=(403, 404),
)
def delete_working_hour(id: int, query: inputs.AtInstitution):
    row = working_hours.get(g.caller, api_access.institution(g.caller, query.subdomain), id)
    working_hours.delete(row, caller=g.caller)
    return edge.no_content()


@operation(
    "GET",
    "/working_hour_labels",
    "Working hour labels",
    query=reads.WorkingHourLabels,
    answer=Paged(shaped.WorkingHourLabel),
    errors=(403, 404),
)
def list_working_hour_labels(query: reads.WorkingHourLabels):
    institution = api_access.institution(g.caller, query.subdomain)
    location = None
    if query.location_id is not None:
        location = api_access.location(g.caller, institution, query.location_id)
    result = working_hours.labels(
        g.caller,
        institution,
        location,
        name=query.search_name,
        active=query.active,
        **query.page(),
    )
    return edge.page([shaped.label(row) for row in result.items], result.page_info)


@operation(
    "GET",
    "/available_slots",
    "Free slots in providers' working hours",
    query=reads.AvailableSlots,
    answer=Listed(shaped.AvailableSlots),
    errors=(403, 404),
)
def list_available_slots(query: reads.AvailableSlots):
    institution = api_access.institution(g.caller, query.subdomain)
    locations = [api_access.location(g.caller, institution, lid) for lid in query.lids]
    kind = None
    if query.appointment_type_id is not None:
        kind = practice_records.get(
            AppointmentType, g.caller, institution, query.appointment_type_id
        )
    found = slots.find(
        slots.Request(
            start_date=query.start_date,
            days=query.days,
            locations=locations,
            provider_ids=query.pids,
            operatory_ids=query.operatory_ids,
            appointment_type=kind,
            slot_length=query.slot_length,
            slot_interval=query.slot_interval,
            label_id=query.working_hour_label_id,
            source=query.working_hour_source,
            overlapping_operatory_slots=query.overlapping_operatory_slots,
        )
    )
    items = [shaped.available_slots(lid, pid, found[(lid, pid)]) for lid, pid in sorted(found)]
    return edge.collection(items)
