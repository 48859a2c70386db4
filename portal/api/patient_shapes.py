"""Patients and providers in the reference API's shapes, declared once: each Struct
serialises the answer and generates its schema in /api/openapi.json."""

from msgspec import Struct

from portal.api.shapes import Location, _foreign_id_type, location, timestamp
from portal.edge.fields import Date, Timestamp
from portal.models import Location as LocationRow
from portal.records import Patient as PatientRow
from portal.records import Provider as ProviderRow
from portal.services.records.api_access import Place


class PatientBio(Struct):
    date_of_birth: Date | None
    phone_number: str
    gender: str
    street_address: str
    address_line_1: str
    address_line_2: str
    city: str
    state: str
    zip_code: str
    cell_phone_number: str
    home_phone_number: str
    work_phone_number: str
    non_patient: bool


class Person(Struct):
    """What patients and providers both have, first in both shapes."""

    id: int
    email: str | None
    first_name: str
    middle_name: str | None
    last_name: str
    name: str
    created_at: Timestamp
    updated_at: Timestamp
    institution_id: int
    foreign_id: str | None
    foreign_id_type: str
    inactive: bool
    last_sync_time: Timestamp | None


class Patient(Person):
    bio: PatientBio
    provider_id: int | None
    location_ids: list[int]
    billing_type: str | None
    chart_id: str | None
    guarantor_id: int | None
    preferred_language: str | None


class Provider(Person):
    bio: dict
    display_name: str
    npi: str | None
    specialty_code: str | None
    state_license: str | None
    tin: str | None
    locations: list[Location]


class PatientAnswer(Struct):
    user: Patient


# Building the shapes from rows --------------------------------------------------------------


def patient(row: PatientRow, place: LocationRow) -> Patient:
    """One patient read as an ORM row, in the same shape as a listed one: its values in the
    order of `patient_search.LISTED`, formatted here as the database formats them there."""
    values = (
        row.id,
        row.location_id,
        row.provider_id,
        row.first_name,
        row.last_name,
        row.email,
        row.phone_number,
        row.date_of_birth.isoformat() if row.date_of_birth else None,
        row.gender,
        row.inactive,
        row.foreign_id,
        timestamp(row.created_at),
        timestamp(row.updated_at),
        row.address_line_1,
        row.address_line_2,
        row.city,
        row.state,
        row.zip_code,
        row.cell_phone_number,
        row.home_phone_number,
        row.work_phone_number,
    )
    return _patient(values, place.institution_id, _foreign_id_type(place))


def patients(rows: list, place: LocationRow | Place) -> list[Patient]:
    """`patient` for a page of one location's patients, read as plain rows of
    `patient_search.LISTED`, with the location's part worked out once."""
    institution_id, foreign_id_type = place.institution_id, _foreign_id_type(place)
    return [_patient(row, institution_id, foreign_id_type) for row in rows]


def _patient(values, institution_id: int, foreign_id_type: str) -> Patient:
    # The hot path of the busiest list: the row unpacked as a tuple (LISTED's order, dates
    # and times already text) and both Structs built positionally, in declaration order.
    (
        id_,
        location_id,
        provider_id,
        first,
        last,
        email,
        phone,
        born,
        gender,
        inactive,
        foreign_id,
        created,
        updated,
        line_1,
        line_2,
        city,
        state,
        zip_code,
        cell,
        home,
        work,
        *_,
    ) = values
    bio = PatientBio(
        born,
        phone,
        gender.capitalize(),
        f"{line_1} {line_2}" if line_2 else line_1,
        line_1,
        line_2,
        city,
        state,
        zip_code,
        cell,
        home,
        work,
        False,
    )
    return Patient(
        id_,
        email or None,
        first,
        None,
        last,
        f"{first} {last}",
        created,
        updated,
        institution_id,
        foreign_id or None,
        foreign_id_type,
        inactive,
        None,
        bio,
        provider_id,
        [location_id],
        None,
        None,
        None,
        None,
    )


def provider(row: ProviderRow, place: LocationRow) -> Provider:
    name = f"{row.first_name} {row.last_name}"
    return Provider(
        id=row.id,
        email=row.email or None,
        first_name=row.first_name,
        middle_name=None,
        last_name=row.last_name,
        name=name,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        institution_id=place.institution_id,
        foreign_id=row.foreign_id or None,
        foreign_id_type=_foreign_id_type(place),
        inactive=row.inactive,
        last_sync_time=None,
        bio={},
        display_name=name,
        npi=row.npi or None,
        specialty_code=row.specialty_code or None,
        state_license=None,
        tin=None,
        locations=[location(place)],
    )
