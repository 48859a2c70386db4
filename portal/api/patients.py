"""Patients: list with filters, show one, create (optionally returning a match)."""

from flask import g

from portal.api import bp, envelope, limits, params, shapes
from portal.services.records import api_access, patients
from portal.services.records.api_access import InvalidField

GENDERS = ("Male", "Female", "Other")


def _location():
    subdomain = params.text("subdomain", required=True)
    try:
        location_id = params.integer("location_id", required=True)
    except InvalidField:
        api_access.institution(g.caller, subdomain)  # a foreign subdomain is refused first
        raise
    return api_access.place(g.caller, subdomain, location_id)


@bp.get("/patients")
@limits.records
def list_patients():
    location = _location()
    filters = patients.Filters(
        name=params.text("name"),
        email=params.text("email", max_length=254),
        phone_number=params.text("phone_number", max_length=30),
        date_of_birth=params.day("date_of_birth"),
        updated_since=params.moment("updated_since"),
        inactive=params.boolean("inactive"),
    )
    result = patients.search(
        location,
        filters,
        sort=params.text("sort") or "id",
        per_page=params.per_page(),
        **params.cursors(),
    )
    return envelope.shaped_page(result, shapes.patients(result.items, location))


@bp.get("/patients/<int:patient_id>")
@limits.records
def show_patient(patient_id: int):
    institution = api_access.institution(g.caller, params.text("subdomain", required=True))
    patient = patients.get(g.caller, institution, patient_id)
    return envelope.success(shapes.patient(patient, api_access.location_of(patient)))


@bp.post("/patients")
@limits.records
def create_patient():
    location = _location()
    body = params.body()
    provider_id = body.section("provider").integer("provider_id", required=True)
    patient = body.section("patient")
    bio = patient.section("bio")
    new = patients.NewPatient(
        first_name=patient.text("first_name", required=True),
        last_name=patient.text("last_name", required=True),
        email=patient.email("email", required=True),
        date_of_birth=bio.day("date_of_birth", required=True),
        phone_number=bio.phone("phone_number", required=True),
        gender=bio.choice("gender", GENDERS) or "",
    )
    match = body.boolean("return_existing_if_match") or False
    row, created = patients.create(
        location, provider_id, new, return_existing_if_match=match, caller=g.caller
    )
    data = {"user": shapes.patient(row, location)}
    if created:
        return envelope.success(data, 201, "Patient created")
    return envelope.success(data, 200, "Existing patient matched")
