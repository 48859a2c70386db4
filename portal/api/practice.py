"""Providers, operatories and appointment types."""

from flask import g

from portal.api import bp, envelope, limits, params, shapes
from portal.records import AppointmentType, Operatory, Provider
from portal.services.records import api_access, practice_records


def _institution():
    return api_access.institution(g.caller, params.text("subdomain", required=True))


def _location(institution, *, required: bool):
    location_id = params.integer("location_id", required=required)
    if location_id is None:
        return None
    return api_access.location(g.caller, institution, location_id)


@bp.get("/providers")
@limits.general
def list_providers():
    institution = _institution()
    location = _location(institution, required=False)
    result = practice_records.providers(
        g.caller,
        institution,
        location,
        inactive=params.boolean("inactive") or False,
        sort=params.text("sort") or "id",
        per_page=params.per_page(),
        **params.cursors(),
    )
    return envelope.page(result, lambda p: shapes.provider(p, api_access.location_of(p)))


@bp.get("/providers/<int:provider_id>")
@limits.general
def show_provider(provider_id: int):
    provider = practice_records.get(Provider, g.caller, _institution(), provider_id)
    return envelope.success(shapes.provider(provider, api_access.location_of(provider)))


@bp.get("/operatories")
@limits.general
def list_operatories():
    location = _location(_institution(), required=True)
    result = practice_records.operatories(
        location,
        name=params.text("search_name"),
        sort=params.text("sort") or "id",
        per_page=params.per_page(),
        **params.cursors(),
    )
    return envelope.page(result, lambda row: shapes.operatory(row, location))


@bp.get("/operatories/<int:operatory_id>")
@limits.general
def show_operatory(operatory_id: int):
    operatory = practice_records.get(Operatory, g.caller, _institution(), operatory_id)
    return envelope.success(shapes.operatory(operatory, api_access.location_of(operatory)))


@bp.get("/appointment_types")
@limits.general
def list_appointment_types():
    institution = _institution()
    location = _location(institution, required=False)
    types = practice_records.appointment_types(g.caller, institution, location)
    return envelope.collection([shapes.appointment_type(t) for t in types])


@bp.get("/appointment_types/<int:type_id>")
@limits.general
def show_appointment_type(type_id: int):
    institution = _institution()
    location = _location(institution, required=False)
    row = practice_records.get(AppointmentType, g.caller, institution, type_id, location)
    return envelope.success(shapes.appointment_type(row))
