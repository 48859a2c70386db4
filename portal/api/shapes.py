"""Our rows in the reference API's shapes: each answer is declared once here, as a Struct
that both serialises the answer and generates its schema in /api/openapi.json."""

from datetime import UTC, datetime
from typing import Literal

from msgspec import Struct

from portal.edge.fields import Timestamp
from portal.models import Institution as InstitutionRow
from portal.models import Location as LocationRow
from portal.models import Mode
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


class Token(Struct):
    token: str


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
