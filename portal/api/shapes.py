"""Our rows in the reference API's shapes: each answer is declared once here, as a Struct
that both serialises the answer and generates its schema in /api/openapi.json."""

from datetime import UTC, datetime
from typing import Literal

from msgspec import Struct

from portal.edge.fields import Date, Timestamp
from portal.models import Institution as InstitutionRow
from portal.models import Location as LocationRow
from portal.models import Mode
from portal.records import Patient as PatientRow
from portal.records import Provider as ProviderRow
from portal.services.records import patients as patients_service
from portal.services.records.sync_status import SyncState

SourceType = Literal["cloud", "onprem"]
Health = Literal["green", "red"]


class LocationBasic(Struct):
    id: int
    name: str
    street_address: str
    street_address_2: str
    city: str
    state: str
    zip_code: str
    phone_number: str
    email: str | None
    inactive: bool


class Location(LocationBasic):
    institution_id: int
    country_code: str
    created_at: Timestamp
    updated_at: Timestamp
    foreign_id: str
    foreign_id_type: str
    tz: str
    last_sync_time: Timestamp | None
    insert_appt_client: bool
    map_by_operatory: bool
    set_availability_by_operatory: bool
    latitude: float | None
    longitude: float | None


class Institution(Struct):
    id: int
    name: str
    subdomain: str
    phone_number: str
    created_at: Timestamp
    updated_at: Timestamp
    emrs: list[str]
    country_code: str
    appointment_types_location_scoped: bool
    is_sync_notifications: bool
    notify_insert_fails: bool
    locations: list[LocationBasic]


class InstitutionWithLocations(Struct):
    id: int
    name: str
    subdomain: str
    locations: list[Location]


class Emr(Struct):
    id: int
    name: str
    display_name: str
    type: SourceType


class SyncStatus(Struct):
    institution_id: int
    sync_source_type: SourceType
    sync_source_name: str
    emr: Emr
    read_status: Health
    read_status_at: Timestamp | None
    write_status: Health
    write_status_at: Timestamp | None
    locations: list[LocationBasic]


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


class Patient(Struct):
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
    bio: PatientBio
    provider_id: int | None
    location_ids: list[int]
    billing_type: str | None
    chart_id: str | None
    guarantor_id: int | None
    preferred_language: str | None


class Provider(Struct):
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
    bio: dict
    display_name: str
    npi: str | None
    specialty_code: str | None
    state_license: str | None
    tin: str | None
    locations: list[Location]


class Token(Struct):
    token: str


class PatientAnswer(Struct):
    user: Patient


# Building the shapes from rows --------------------------------------------------------------


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # our columns read back in UTC already: skip the convert
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _foreign_id_type(location_or_institution) -> str:
    institution = getattr(location_or_institution, "institution", location_or_institution)
    return "sandbox" if institution.mode == Mode.SANDBOX else "ehr"


def institution(row: InstitutionRow, locations: list[LocationRow]) -> Institution:
    return Institution(
        id=row.id,
        name=row.name,
        subdomain=row.subdomain,
        phone_number=row.phone_number,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.created_at),
        emrs=sorted({sync.ehr for sync in row.syncs}),
        country_code="US",
        appointment_types_location_scoped=True,
        is_sync_notifications=False,
        notify_insert_fails=False,
        locations=[location_basic(loc) for loc in locations],
    )


def _location_fields(row: LocationRow) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "street_address": row.street_address,
        "street_address_2": "",
        "city": row.city,
        "state": row.state,
        "zip_code": row.zip_code,
        "phone_number": row.phone_number,
        "email": row.institution.email or None,
        "inactive": False,
    }


def location_basic(row: LocationRow) -> LocationBasic:
    return LocationBasic(**_location_fields(row))


def location(row: LocationRow) -> Location:
    reads = [sync.last_read_at for sync in row.institution.syncs if sync.last_read_at]
    return Location(
        **_location_fields(row),
        institution_id=row.institution_id,
        country_code="US",
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.created_at),
        foreign_id=row.foreign_id,
        foreign_id_type=_foreign_id_type(row),
        tz=row.tz,
        last_sync_time=timestamp(max(reads, default=None)),
        insert_appt_client=True,
        map_by_operatory=True,
        set_availability_by_operatory=False,
        latitude=None,
        longitude=None,
    )


def institution_with_locations(row: InstitutionRow, locations: list) -> InstitutionWithLocations:
    return InstitutionWithLocations(
        id=row.id,
        name=row.name,
        subdomain=row.subdomain,
        locations=[location(loc) for loc in locations],
    )


def sync_status(state: SyncState) -> SyncStatus:
    kind = "cloud" if state.cloud else "onprem"
    return SyncStatus(
        institution_id=state.institution_id,
        sync_source_type=kind,
        sync_source_name=state.ehr,
        emr=Emr(id=state.sync_id, name=state.ehr, display_name=state.ehr, type=kind),
        read_status="green" if state.read_green else "red",
        read_status_at=timestamp(state.read_at),
        write_status="green" if state.write_green else "red",
        write_status_at=timestamp(state.write_at),
        locations=[location_basic(loc) for loc in state.locations],
    )


def patient(row: PatientRow, place: LocationRow) -> Patient:
    values = tuple(getattr(row, column.key) for column in patients_service.LISTED)
    return _patient(values, place.institution_id, _foreign_id_type(place))


def patients(rows: list, place: LocationRow) -> list[Patient]:
    """`patient` for a page of one location's patients, read as plain rows of
    `patients_service.LISTED`, with the location's part worked out once."""
    institution_id, foreign_id_type = place.institution_id, _foreign_id_type(place)
    return [_patient(row, institution_id, foreign_id_type) for row in rows]


def _patient(values, institution_id: int, foreign_id_type: str) -> Patient:
    # The hot path of the busiest list: the row unpacked as a tuple and both Structs built
    # positionally, in the order of their declarations above.
    (
        id_,
        _,
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
    ) = values
    bio = PatientBio(
        born.isoformat() if born else None,
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
        timestamp(created),
        timestamp(updated),
        institution_id,
        foreign_id or None,
        foreign_id_type,
        inactive,
        None,
        bio,
        provider_id,
        [values[1]],
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
