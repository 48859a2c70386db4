"""The Synchronizer's uploads of the practice's records, `/synchronizer/v1/uploads/<kind>`:
one kind of record for one of its locations per batch, with the foreign ids the practice
deleted since. Bodies are larger than the rest of the protocol's, so this is its own
blueprint with its own body limit; shapes refuse unknown fields so a typo is not lost.

    POST /synchronizer/v1/uploads/patients
    {"location_foreign_id": "1", "records": [{"foreign_id": "P7", ...}], "deleted": ["P3"]}
"""

from datetime import date
from functools import cache
from typing import Annotated

import msgspec
from flask import Blueprint
from msgspec import Meta, Struct

from portal import edge
from portal.edge import ZonedTime
from portal.edge.fields import nonblank, text
from portal.extensions import csrf
from portal.services.records import uploads
from portal.services.records.working_hours import DAYS
from portal.services.syncs import agents

MAX_BODY = 2 * 1024 * 1024
MAX_RECORDS = 1000

bp = Blueprint("synchronizer_uploads", __name__, url_prefix="/synchronizer/v1/uploads")
csrf.exempt(bp)
edge.register(bp, max_body=MAX_BODY)

ForeignId = nonblank(40) | int  # the id in the health record system, text or number
Clock = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Day = Annotated[str, Meta(pattern="^(" + "|".join(DAYS) + ")$")]


class _Record(Struct, kw_only=True, forbid_unknown_fields=True):
    foreign_id: ForeignId


class ProviderRecord(_Record, kw_only=True):
    first_name: text(100) = ""
    last_name: nonblank(100)
    email: text(254) = ""
    npi: text(10) = ""
    specialty_code: text(20) = ""
    inactive: bool = False


class OperatoryRecord(_Record, kw_only=True):
    name: nonblank(100)
    active: bool = True
    bookable_online: bool = True


class AppointmentTypeRecord(_Record, kw_only=True):
    name: nonblank(100)
    minutes: Annotated[int, Meta(ge=5, le=1440)] = 30
    bookable_online: bool = True


class WorkingHourRecord(_Record, kw_only=True):
    provider_foreign_id: ForeignId
    operatory_foreign_id: ForeignId | None = None
    begin_time: Clock
    end_time: Clock
    days: Annotated[list[Day], Meta(min_length=1, max_length=7)]
    active: bool = True


class PatientRecord(_Record, kw_only=True):
    first_name: text(100) = ""
    last_name: nonblank(100)
    email: text(254) = ""
    phone_number: text(30) = ""
    date_of_birth: date | None = None
    gender: text(20) = ""
    inactive: bool = False
    provider_foreign_id: ForeignId | None = None
    address_line_1: text(200) = ""
    city: text(100) = ""
    state: text(20) = ""
    zip_code: text(10) = ""


class AppointmentRecord(_Record, kw_only=True):
    patient_foreign_id: ForeignId
    provider_foreign_id: ForeignId
    operatory_foreign_id: ForeignId | None = None
    appointment_type_foreign_id: ForeignId | None = None
    start_time: ZonedTime
    end_time: ZonedTime
    confirmed: bool = False
    cancelled: bool = False
    note: text(2000) = ""


SHAPES = {
    "providers": ProviderRecord,
    "operatories": OperatoryRecord,
    "appointment_types": AppointmentTypeRecord,
    "working_hours": WorkingHourRecord,
    "patients": PatientRecord,
    "appointments": AppointmentRecord,
}
BATCHES = {
    kind: msgspec.defstruct(
        f"{kind.title().replace('_', '')}Batch",
        [
            ("location_foreign_id", ForeignId),
            ("records", Annotated[list[shape], Meta(max_length=MAX_RECORDS)], []),
            ("deleted", Annotated[list[ForeignId], Meta(max_length=MAX_RECORDS)], []),
        ],
        kw_only=True,
        forbid_unknown_fields=True,
    )
    for kind, shape in SHAPES.items()
}


@bp.post("/<kind>")
def upload(kind: str):
    sync = agents.authenticate(_agent_token())
    shape = BATCHES.get(kind)
    if shape is None:
        return edge.failure(404, f"Records are uploaded as one of: {', '.join(SHAPES)}.")
    body = edge.body(shape)
    batch = uploads.Batch(
        kind=kind,
        location_foreign_id=str(body.location_foreign_id).strip(),
        records=_values(body.records, SHAPES[kind]),
        deleted=[str(foreign_id).strip() for foreign_id in body.deleted],
    )
    outcome = uploads.upload(sync, batch)
    return edge.success(outcome.as_dict(), 200, "Uploaded")


def _values(records: list[_Record], shape: type[_Record]) -> list[dict]:
    """Each record as column values: foreign ids as text, text trimmed (notes as sent)."""
    ids, texts = _trimmed(shape)
    rows = []
    for record in records:
        values = msgspec.structs.asdict(record)
        for name in ids:
            value = values[name]
            if value is not None:
                values[name] = str(value).strip()
        for name in texts:
            values[name] = values[name].strip()
        if "days" in values:  # working hours, kept as the API's own are
            values["days"] = ",".join(sorted(set(values["days"]), key=DAYS.index))
            values["source"] = "synced"
        rows.append(values)
    return rows


@cache
def _trimmed(shape: type[_Record]) -> tuple[list[str], list[str]]:
    """The names of `shape`'s foreign ids, and of its other text fields but the note."""
    fields = msgspec.inspect.type_info(shape).fields
    ids = [f.name for f in fields if f.name.endswith("foreign_id")]
    texts = [
        f.name
        for f in fields
        if isinstance(f.type, msgspec.inspect.StrType) and f.name not in ids and f.name != "note"
    ]
    return ids, texts


def _agent_token() -> str:
    token = edge.bearer_token()
    if token is None:
        raise agents.Unauthorized("Send the agent token as 'Authorization: Bearer <token>'.")
    return token
