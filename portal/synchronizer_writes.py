"""The production API's writes as the Synchronizer sees them, `/synchronizer/v1/writes`:
it collects what is waiting for its practice, applies it there, and reports each result.

    POST /synchronizer/v1/writes/collect   -> {"writes": [{"id": 4, "kind": ..., ...}]}
    POST /synchronizer/v1/writes/results   {"results": [{"id": 4, "foreign_id": "A81"},
                                                        {"id": 5, "error": "Slot taken"}]}

Records are named by their foreign ids; a patient booked before the practice has it comes
with its details (and `foreign_id` null), as the practice needs them to create it.
"""

from typing import Annotated

from flask import Blueprint
from msgspec import Meta, Struct

from portal import edge
from portal.edge.fields import Id, text
from portal.extensions import csrf, db
from portal.models import Location, PendingWrite
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider
from portal.services.records import pending_writes
from portal.services.syncs import agents

MAX_RESULTS = pending_writes.COLLECT_LIMIT

bp = Blueprint("synchronizer_writes", __name__, url_prefix="/synchronizer/v1/writes")
csrf.exempt(bp)
edge.register(bp, max_body=256 * 1024)


class WriteResult(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Id
    foreign_id: text(40) | int = ""
    error: text(900) = ""


class Results(Struct, kw_only=True, forbid_unknown_fields=True):
    results: Annotated[list[WriteResult], Meta(min_length=1, max_length=MAX_RESULTS)]


@bp.post("/collect")
def collect():
    sync = agents.authenticate(_agent_token())
    writes = pending_writes.collect(sync)
    return edge.success({"writes": [instruction(write) for write in writes]}, 200, "Collected")


@bp.post("/results")
def results():
    sync = agents.authenticate(_agent_token())
    body = edge.body(Results)
    if len({r.id for r in body.results}) != len(body.results):
        return edge.failure(400, "results must name each write once.")
    reported = [
        pending_writes.Result(
            write_id=r.id, foreign_id=str(r.foreign_id).strip(), error=r.error.strip()
        )
        for r in body.results
    ]
    return edge.success({"results": pending_writes.report(sync, reported)}, 200, "Recorded")


def instruction(write: PendingWrite) -> dict:
    """A write as the agent applies it: what to create or change, by foreign ids."""
    location = db.session.get(Location, write.location_id)
    patient = db.session.get(Patient, write.patient_id) if write.patient_id else None
    appointment = (
        db.session.get(Appointment, write.appointment_id) if write.appointment_id else None
    )
    return {
        "id": write.id,
        "kind": write.kind.value,
        "location_foreign_id": location.foreign_id,
        "changed": write.changed,
        "patient": _patient(patient) if patient else None,
        "appointment": _appointment(appointment) if appointment else None,
    }


def _foreign(model, row_id):
    return db.session.get(model, row_id).foreign_id or None if row_id else None


def _patient(row: Patient) -> dict:
    return {
        "id": row.id,
        "foreign_id": row.foreign_id or None,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "phone_number": row.phone_number,
        "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else None,
        "gender": row.gender,
        "provider_foreign_id": _foreign(Provider, row.provider_id),
    }


def _appointment(row: Appointment) -> dict:
    return {
        "id": row.id,
        "foreign_id": row.foreign_id or None,
        "patient_foreign_id": _foreign(Patient, row.patient_id),
        "provider_foreign_id": _foreign(Provider, row.provider_id),
        "operatory_foreign_id": _foreign(Operatory, row.operatory_id),
        "appointment_type_foreign_id": _foreign(AppointmentType, row.appointment_type_id),
        "start_time": row.start_time.isoformat(),
        "end_time": row.end_time.isoformat(),
        "note": row.note,
        "confirmed": row.confirmed,
        "cancelled": row.cancelled,
    }


def _agent_token() -> str:
    token = edge.bearer_token()
    if token is None:
        raise agents.Unauthorized("Send the agent token as 'Authorization: Bearer <token>'.")
    return token
