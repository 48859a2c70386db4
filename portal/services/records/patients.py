"""Patients of a practice location, as the API lists, finds and creates them."""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import Institution, Location, WriteKind
from portal.records import Patient, Provider
from portal.services import commit
from portal.services.records import api_access, pending_writes, sandbox_events
from portal.services.records.api_access import (
    INT_MAX,
    Caller,
    InvalidField,
    get_record,
)

OLDEST_AGE_YEARS = 130


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    email: str
    date_of_birth: date
    phone_number: str
    gender: str = ""
    address: dict = field(default_factory=dict)  # ADDRESS_FIELDS, each optional


# The address and other phones a new patient may have, as the reference's bio names them.
ADDRESS_FIELDS = ("address_line_1", "address_line_2", "city", "state", "zip_code")
PHONE_FIELDS = ("cell_phone_number", "home_phone_number", "work_phone_number")


def get(caller: Caller, institution: Institution, patient_id: int) -> Patient:
    """A patient of one of the caller's locations in `institution`. Raises NotFound."""
    return get_record(Patient, caller, institution, patient_id, "Patient")


def create(
    location: Location,
    provider_id: int,
    new: NewPatient,
    *,
    return_existing_if_match: bool,
    caller: Caller,
) -> tuple[Patient, bool]:
    """Add a patient to `location`, under one of its providers; returns (patient, created).

    With `return_existing_if_match`, a patient of the location with the same first name,
    last name (in any case) and date of birth is returned instead of a duplicate.
    Writes an audit row for the caller's key when a patient is added.
    Raises InvalidField for a provider of another location or an impossible date of birth.
    """
    if not _provider_at(location, provider_id):
        raise InvalidField("provider.provider_id", "is not a provider at this location.")
    today = clock.now().date()
    if new.date_of_birth > today or today.year - new.date_of_birth.year > OLDEST_AGE_YEARS:
        raise InvalidField("patient.bio.date_of_birth", "must be a past date within 130 years.")
    if return_existing_if_match and (existing := _match(location, new)):
        return existing, False
    patient = Patient(
        location_id=location.id,
        provider_id=provider_id,
        first_name=new.first_name.strip(),
        last_name=new.last_name.strip(),
        email=new.email.strip().lower(),
        phone_number=digits(new.phone_number),
        date_of_birth=new.date_of_birth,
        gender=new.gender.lower(),
        **{k: v.strip() for k, v in new.address.items() if k in ADDRESS_FIELDS},
        **{k: digits(v) for k, v in new.address.items() if k in PHONE_FIELDS},
    )
    db.session.add(patient)
    db.session.flush()  # the audit row names the new id
    api_access.audit(caller, "patient.created", patient, location_id=location.id)
    sandbox_events.patient_added(patient, location, caller=caller)
    pending_writes.follow(caller, location, WriteKind.PATIENT_CREATE, patient)
    commit()
    return patient, True


def _provider_at(location: Location, provider_id: int) -> bool:
    return 0 < provider_id <= INT_MAX and bool(
        db.session.scalar(
            select(Provider.id).where(
                Provider.id == provider_id, Provider.location_id == location.id
            )
        )
    )


def _match(location: Location, new: NewPatient) -> Patient | None:
    return db.session.scalar(
        select(Patient)
        .where(
            Patient.location_id == location.id,
            func.lower(Patient.first_name) == new.first_name.strip().lower(),
            func.lower(Patient.last_name) == new.last_name.strip().lower(),
            Patient.date_of_birth == new.date_of_birth,
        )
        .order_by(Patient.id)
        .limit(1)
    )


def digits(phone_number: str) -> str:
    return re.sub(r"[^0-9]", "", phone_number)
