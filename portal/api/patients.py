"""Patients: list with filters, show one, create (optionally returning a match)."""

from flask import g

from portal import edge
from portal.api import checked_caller, inputs, limits, patient_shapes
from portal.api.operations import One, Paged, operation
from portal.models import Mode
from portal.services.accounts import api_tokens
from portal.services.records import api_access, patient_search, patients
from portal.services.records.api_access import InvalidField


@operation(
    "GET",
    "/patients",
    "Patients of a location",
    query=inputs.Patients,
    answer=Paged(patient_shapes.Patient),
    errors=(403, 404),
    limit=limits.records,
    key_in_statement=True,
)
def list_patients(query: inputs.Patients):
    filters = patient_search.Filters(
        name=query.name,
        email=query.email,
        phone_number=query.phone_number,
        date_of_birth=query.date_of_birth,
        updated_since=query.updated_since,
        inactive=query.inactive,
        foreign_id=query.foreign_id,
        new_patient=query.new_patient,
        non_patient=query.non_patient,
    )
    # The key and the access ride in the page's statement (the list is declared
    # `key_in_statement`); a page without rows asks why: 401, 403, 404, or none there.
    caller = api_tokens.named_caller(g.bearer) or checked_caller()
    reach = api_access.reach(caller, query.subdomain, g.bearer)
    try:
        result = patient_search.search(query.location_id, filters, reach=reach, **query.page())
    except InvalidField:  # a wrong sort or cursor is named after the key and the access
        _refuse_unless_reached(query)
        raise
    if not result.items:
        _refuse_unless_reached(query)
        return edge.page([], result.page_info)
    g.caller = caller
    place = api_access.Place(query.location_id, result.items[0].institution_id, caller.mode)
    return edge.page(patient_shapes.patients(result.items, place), result.page_info)


def _refuse_unless_reached(query) -> None:
    """What the page's statement cannot tell: 401 for a key that stopped, 403 or 404 for a
    practice or location it does not reach."""
    api_access.place_values(checked_caller(), query.subdomain, query.location_id)


def _address(bio: inputs.NewPatientBio) -> dict:
    given = {name: getattr(bio, name) for name in patients.ADDRESS_FIELDS + patients.PHONE_FIELDS}
    if given["address_line_1"] is None:
        given["address_line_1"] = bio.street_address
    return {name: value for name, value in given.items() if value is not None}


@operation(
    "GET",
    "/patients/<int:id>",
    "One patient",
    query=inputs.AtInstitution,
    answer=One(patient_shapes.Patient),
    errors=(403, 404),
    limit=limits.records,
)
def show_patient(id: int, query: inputs.AtInstitution):
    institution = api_access.institution(g.caller, query.subdomain)
    patient = patients.get(g.caller, institution, id)
    return edge.success(patient_shapes.patient(patient, api_access.location_of(patient)))


@operation(
    "POST",
    "/patients",
    "Create a patient (201), or return a match (200)",
    query=inputs.AtLocation,
    body=inputs.PatientCreate,
    answer=One(patient_shapes.PatientAnswer),
    statuses=(200, 201),
    errors=(403, 404),
    limit=limits.records,
)
def create_patient(query: inputs.AtLocation, body: inputs.PatientCreate):
    location = api_access.place(g.caller, query.subdomain, query.location_id)
    patient, bio = body.patient, body.patient.bio
    new = patients.NewPatient(
        first_name=patient.first_name,
        last_name=patient.last_name,
        email=patient.email,
        date_of_birth=bio.date_of_birth,
        phone_number=bio.phone_number,
        gender=bio.gender or "",
        address=_address(bio),
    )
    row, created = patients.create(
        location,
        body.provider.provider_id,
        new,
        return_existing_if_match=body.return_existing_if_match,
        caller=g.caller,
    )
    answer = patient_shapes.PatientAnswer(user=patient_shapes.patient(row, location))
    if created and g.caller.mode is Mode.PRODUCTION:
        return edge.success(answer, 201, "Accepted; it reaches the practice on the next cycle")
    if created:
        return edge.success(answer, 201, "Patient created")
    return edge.success(answer, 200, "Existing patient matched")
