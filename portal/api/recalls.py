"""Recall types and patients' recalls (what reminder apps read), and the appointment
descriptors of a location, an appointment type or an appointment."""

from flask import g

from portal import edge
from portal.api import appointment_shapes, inputs
from portal.api import schedule_inputs as reads
from portal.api import schedule_shapes as shaped
from portal.api.operations import Listed, One, Paged, operation
from portal.records import AppointmentType, PatientRecall, RecallType
from portal.services.records import api_access, appointments, practice_records, recalls


@operation(
    "GET",
    "/recall_types",
    "Recall types of a location",
    query=reads.RecallTypes,
    answer=Paged(shaped.RecallType),
    errors=(403, 404),
)
def list_recall_types(query: reads.RecallTypes):
    location = api_access.place(g.caller, query.subdomain, query.location_id)
    result = recalls.recall_types(
        location,
        foreign_id=query.foreign_id,
        updated_since=query.updated_since,
        **query.page(),
    )
    items = [shaped.recall_type(row, location) for row in result.items]
    return edge.page(items, result.page_info, count=len(items))


@operation(
    "GET",
    "/recall_types/<int:id>",
    "One recall type",
    query=inputs.AtInstitution,
    answer=One(shaped.RecallType),
    errors=(403, 404),
)
def show_recall_type(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    row = recalls.get(RecallType, g.caller, institution, id)
    return edge.success(shaped.recall_type(row, api_access.location_of(row)))


@operation(
    "GET",
    "/patient_recalls",
    "Patients' recalls at a location",
    query=reads.PatientRecalls,
    answer=Paged(shaped.PatientRecall),
    errors=(403, 404),
)
def list_patient_recalls(query: reads.PatientRecalls):
    location = api_access.place(g.caller, query.subdomain, query.location_id)
    filters = recalls.RecallFilters(
        recall_id=query.recall_id,
        patient_id=query.patient_id,
        foreign_id=query.foreign_id,
        updated_since=query.updated_since,
        due_after=query.due_after,
    )
    result = recalls.patient_recalls(
        location,
        filters,
        **query.page(),
    )
    items = [shaped.patient_recall(row, location) for row in result.items]
    return edge.page(items, result.page_info)


@operation(
    "GET",
    "/patient_recalls/<int:id>",
    "One patient recall",
    query=inputs.AtInstitution,
    answer=One(shaped.PatientRecall),
    errors=(403, 404),
)
def show_patient_recall(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    row = recalls.get(PatientRecall, g.caller, institution, id)
    return edge.success(shaped.patient_recall(row, api_access.location_of(row)))


def _descriptors(rows, places=None):
    places = places or api_access.locations_by_id({row.location_id for row in rows})
    return edge.collection(
        [appointment_shapes.descriptor(row, places[row.location_id]) for row in rows]
    )


@operation(
    "GET",
    "/locations/<int:id>/appointment_descriptors",
    "Appointment descriptors of a location",
    query=reads.LocationDescriptors,
    answer=Listed(appointment_shapes.Descriptor),
    errors=(404,),
)
def list_location_descriptors(id: int, query: reads.LocationDescriptors):
    location = api_access.location_by_id(g.caller, id)
    rows = recalls.descriptors([location.id], descriptor_type=query.descriptor_type)
    return _descriptors(rows, {location.id: location})


@operation(
    "GET",
    "/appointment_types/<int:id>/appointment_descriptors",
    "Appointment descriptors of an appointment type",
    query=reads.Descriptors,
    answer=Listed(appointment_shapes.Descriptor),
    errors=(403, 404),
)
def list_type_descriptors(id: int, query: reads.Descriptors):
    institution = api_access.institution(g.caller, query.subdomain)
    location = None
    if query.location_id is not None:
        location = api_access.location(g.caller, institution, query.location_id)
    kind = practice_records.get(AppointmentType, g.caller, institution, id, location)
    wanted = query.descriptor_type
    return _descriptors([d for d in kind.descriptors if wanted in (None, d.descriptor_type)])


@operation(
    "GET",
    "/appointments/<int:id>/appointment_descriptors",
    "Appointment descriptors of an appointment (those of its type)",
    query=reads.AppointmentDescriptors,
    answer=Listed(appointment_shapes.Descriptor),
    errors=(403, 404),
)
def list_appointment_descriptors(id: int, query: reads.AppointmentDescriptors):
    institution = api_access.institution(g.caller, query.subdomain)
    row = appointments.get(g.caller, institution, id)
    kinds = row.appointment_type.descriptors if row.appointment_type else []
    wanted = query.descriptor_type
    return _descriptors([d for d in kinds if wanted in (None, d.descriptor_type)])
