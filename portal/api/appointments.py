"""Appointments: list a time window, show one, book, confirm or cancel."""

from flask import g

from portal.api import bp, envelope, limits, params, shapes
from portal.services.records import api_access, appointments


def _institution():
    return api_access.institution(g.caller, params.text("subdomain", required=True))


def _location(institution):
    location_id = params.integer("location_id", required=True)
    return api_access.location(g.caller, institution, location_id)


@bp.get("/appointments")
@limits.records
def list_appointments():
    location = _location(_institution())
    filters = appointments.Filters(
        start=params.moment("start", required=True),
        end=params.moment("end", required=True),
        cancelled=params.boolean("cancelled"),
        patient_ids=params.ids("patient_ids[]"),
        provider_ids=params.ids("provider_ids[]"),
        operatory_ids=params.ids("operatory_ids[]"),
        updated_since=params.moment("updated_since"),
    )
    result = appointments.search(
        location,
        filters,
        sort=params.text("sort") or "start_time",
        per_page=params.per_page(),
        **params.cursors(),
    )
    return envelope.page(result, lambda row: shapes.appointment(row, location))


@bp.get("/appointments/<int:appointment_id>")
@limits.records
def show_appointment(appointment_id: int):
    row = appointments.get(g.caller, _institution(), appointment_id)
    place = api_access.location_of(row)
    return envelope.success(shapes.appointment(row, place, with_patient=True))


@bp.post("/appointments")
@limits.records
def book_appointment():
    location = _location(_institution())
    appt = params.body().section("appt")
    booking = appointments.Booking(
        patient_id=appt.integer("patient_id", required=True),
        provider_id=appt.integer("provider_id", required=True),
        start_time=appt.moment("start_time", required=True),
        end_time=appt.moment("end_time"),
        operatory_id=appt.integer("operatory_id"),
        appointment_type_id=appt.integer("appointment_type_id"),
        note=appt.text("note", max_length=appointments.NOTE_MAX_LENGTH) or "",
    )
    row = appointments.book(location, booking, caller=g.caller)
    return envelope.success({"appt": shapes.appointment(row, location)}, 201, "Appointment booked")


@bp.patch("/appointments/<int:appointment_id>")
@limits.records
def update_appointment(appointment_id: int):
    row = appointments.get(g.caller, _institution(), appointment_id)
    appt = params.body().section("appt")
    confirmed, cancelled = appt.boolean("confirmed"), appt.boolean("cancelled")
    row = appointments.update(row, confirmed=confirmed, cancelled=cancelled, caller=g.caller)
    place = api_access.location_of(row)
    return envelope.success({"appt": shapes.appointment(row, place)}, 200, "Appointment updated")
