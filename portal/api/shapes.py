"""Our rows in the reference API's shapes: field names, nesting and formats."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.models import Institution, Location, Mode
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider
from portal.services.records.sync_status import SyncState


def timestamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # our columns read back in UTC already: skip the convert
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _foreign_id_type(location_or_institution) -> str:
    institution = getattr(location_or_institution, "institution", location_or_institution)
    return "sandbox" if institution.mode == Mode.SANDBOX else "ehr"


def institution(row: Institution, locations: list[Location]) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "subdomain": row.subdomain,
        "phone_number": row.phone_number,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.created_at),
        "emrs": sorted({sync.ehr for sync in row.syncs}),
        "country_code": "US",
        "appointment_types_location_scoped": True,
        "locations": [location_basic(loc) for loc in locations],
    }


def location_basic(row: Location) -> dict:
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


def location(row: Location) -> dict:
    reads = [sync.last_read_at for sync in row.institution.syncs if sync.last_read_at]
    return location_basic(row) | {
        "institution_id": row.institution_id,
        "country_code": "US",
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.created_at),
        "foreign_id": row.foreign_id,
        "foreign_id_type": _foreign_id_type(row),
        "tz": row.tz,
        "last_sync_time": timestamp(max(reads, default=None)),
    }


def institution_with_locations(row: Institution, locations: list[Location]) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "subdomain": row.subdomain,
        "locations": [location(loc) for loc in locations],
    }


def sync_status(state: SyncState) -> dict:
    kind = "cloud" if state.cloud else "onprem"
    return {
        "institution_id": state.institution_id,
        "sync_source_type": kind,
        "sync_source_name": state.ehr,
        "emr": {"id": state.sync_id, "name": state.ehr, "display_name": state.ehr, "type": kind},
        "read_status": "green" if state.read_green else "red",
        "read_status_at": timestamp(state.read_at),
        "write_status": "green" if state.write_green else "red",
        "write_status_at": timestamp(state.write_at),
        "locations": [location_basic(loc) for loc in state.locations],
    }


def _person(row, institution_id: int, foreign_id_type: str) -> dict:
    return {
        "id": row.id,
        "email": row.email or None,
        "first_name": row.first_name,
        "middle_name": None,
        "last_name": row.last_name,
        "name": f"{row.first_name} {row.last_name}",
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "institution_id": institution_id,
        "foreign_id": row.foreign_id or None,
        "foreign_id_type": foreign_id_type,
        "inactive": row.inactive,
        "last_sync_time": None,
    }


def patient(row: Patient, place: Location) -> dict:
    return _patient(row, place.institution_id, _foreign_id_type(place))


def patients(rows: list, place: Location) -> list[dict]:
    """`patient` for a page of one location's patients (ORM objects or plain rows with the
    same names), with the location's part worked out once rather than per row."""
    institution_id, foreign_id_type = place.institution_id, _foreign_id_type(place)
    return [_patient(row, institution_id, foreign_id_type) for row in rows]


def _patient(row, institution_id: int, foreign_id_type: str) -> dict:
    # `_person` and the patient's own fields in one literal: this runs for every listed row.
    first_name, last_name, born = row.first_name, row.last_name, row.date_of_birth
    return {
        "id": row.id,
        "email": row.email or None,
        "first_name": first_name,
        "middle_name": None,
        "last_name": last_name,
        "name": f"{first_name} {last_name}",
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "institution_id": institution_id,
        "foreign_id": row.foreign_id or None,
        "foreign_id_type": foreign_id_type,
        "inactive": row.inactive,
        "last_sync_time": None,
        "bio": {
            "date_of_birth": born.isoformat() if born else None,
            "phone_number": row.phone_number,
            "gender": row.gender.capitalize(),
        },
        "provider_id": row.provider_id,
        "location_ids": [row.location_id],
    }


def provider(row: Provider, place: Location) -> dict:
    return _person(row, place.institution_id, _foreign_id_type(place)) | {
        "bio": {},
        "display_name": f"{row.first_name} {row.last_name}",
        "npi": row.npi or None,
        "specialty_code": row.specialty_code or None,
        "locations": [location(place)],
    }


def operatory(row: Operatory, place: Location) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "foreign_id": row.foreign_id,
        "foreign_id_type": _foreign_id_type(place),
        "location_id": row.location_id,
        "last_sync_time": None,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "display_name": row.name,
        "active": row.active,
        "bookable_online": row.bookable_online,
    }


def appointment_type(row: AppointmentType) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "parent_type": "Location",
        "parent_id": row.location_id,
        "minutes": row.minutes,
        "bookable_online": row.bookable_online,
    }


def appointment(row: Appointment, place: Location, *, with_patient: bool = False) -> dict:
    shape = {
        "id": row.id,
        "patient_id": row.patient_id,
        "provider_id": row.provider_id,
        "provider_name": f"{row.provider.first_name} {row.provider.last_name}",
        "start_time": timestamp(row.start_time),
        "end_time": timestamp(row.end_time),
        "confirmed": row.confirmed,
        "cancelled": row.cancelled,
        "patient_missed": False,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
        "note": row.note,
        "unavailable": False,
        "timezone": place.tz,
        "timezone_offset": _offset(row.start_time, place.tz),
        "institution_id": place.institution_id,
        "appointment_type_id": row.appointment_type_id,
        "location_id": row.location_id,
        "operatory_id": row.operatory_id,
        "foreign_id": row.foreign_id or None,
        "foreign_id_type": _foreign_id_type(place),
        "last_sync_time": None,
    }
    if with_patient:
        shape["patient"] = patient(row.patient, place)
    return shape


def _offset(moment: datetime, zone_name: str) -> str:
    """The location's UTC offset at `moment`, as "-04:00"."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    digits = moment.astimezone(zone).strftime("%z")
    return f"{digits[:3]}:{digits[3:5]}"
