"""Listing a location's patients: the busiest read of the API, so its statements are built
once per combination of filters, with bind parameters for the values, and its rows come back
plain, with timestamps already formatted by the database."""

from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import bindparam, false, func, or_, select

from portal import clock
from portal.db_types import iso_date, iso_timestamp
from portal.models import Location
from portal.records import Appointment, Patient
from portal.services import pagination
from portal.services.records import api_access
from portal.services.records.patients import digits

SORTS = ("id", "-id", "updated_at", "-updated_at")
# What a listed patient is read as, in this order (`patient_shapes` unpacks it). The API
# prints the text times; a sort by updated_at reads the stored time too, for its cursors.
LISTED = (
    Patient.id,
    Patient.location_id,
    Patient.provider_id,
    Patient.first_name,
    Patient.last_name,
    Patient.email,
    Patient.phone_number,
    iso_date(Patient.date_of_birth).label("date_of_birth"),
    Patient.gender,
    Patient.inactive,
    Patient.foreign_id,
    iso_timestamp(Patient.created_at).label("created_at"),
    iso_timestamp(Patient.updated_at).label("updated_at_text"),
    Patient.address_line_1,
    Patient.address_line_2,
    Patient.city,
    Patient.state,
    Patient.zip_code,
    Patient.cell_phone_number,
    Patient.home_phone_number,
    Patient.work_phone_number,
)
ESCAPE = "/"


@dataclass(frozen=True)
class Filters:
    name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    date_of_birth: date | None = None
    updated_since: datetime | None = None
    inactive: bool | None = None
    foreign_id: str | None = None
    new_patient: bool | None = None
    non_patient: bool | None = None


def search(
    location_id: int,
    filters: Filters,
    *,
    sort: str,
    per_page: int,
    reach: dict | None = None,
    **cursors,
):
    """A page of the location's patients matching every filter given, as plain rows of
    LISTED (and the stored `updated_at` when sorted by it).

    With `reach` (`api_access.reach`), rows come only while the token's key works and
    reaches the location, each with its `institution_id` after LISTED: the key, the access
    and the page in one statement. An empty page then says nothing of why
    (`api_access.reachable_by_key`).

    `name` is fuzzy: each word must appear in the first or the last name, in any case.
    Raises InvalidField for an unknown sort or a foreign cursor.
    """
    order = pagination.sort_by(sort, Patient, SORTS)
    words = (filters.name or "").split()
    given = (_given(filters, f.name) for f in fields(Filters) if f.name != "name")
    shape = (reach is not None, order.column is Patient.updated_at, len(words), *given)
    values = {"location_id": location_id, **(reach or {}), **_values(filters, words)}
    return pagination.paginate(
        _statement(shape), order, per_page, plain=True, params=values, **cursors
    )


def _given(filters: Filters, name: str):
    value = getattr(filters, name)
    # The two yes/no filters change the statement itself; the others only its values.
    return value if name in ("new_patient", "non_patient") else value is not None


@lru_cache(maxsize=256)
def _statement(shape: tuple):
    (
        reached,
        by_time,
        words,
        email,
        phone,
        born,
        since,
        inactive,
        foreign_id,
        new_patient,
        non_patient,
    ) = shape
    location_id = bindparam("location_id")
    conditions = [Patient.location_id == location_id]
    listed = [*LISTED]
    if reached:
        conditions.append(api_access.reachable_by_key())
        institution = select(Location.institution_id).where(Location.id == location_id)
        listed.append(institution.scalar_subquery().label("institution_id"))
    for i in range(words):
        word = bindparam(f"word_{i}")
        conditions.append(
            or_(
                Patient.first_name.icontains(word, escape=ESCAPE),
                Patient.last_name.icontains(word, escape=ESCAPE),
            )
        )
    if email:
        conditions.append(func.lower(Patient.email) == bindparam("email"))
    if phone:
        conditions.append(Patient.phone_number == bindparam("phone_number"))
    if born:
        conditions.append(Patient.date_of_birth == bindparam("date_of_birth"))
    if since:
        conditions.append(Patient.updated_at >= bindparam("updated_since"))
    if inactive:
        conditions.append(Patient.inactive == bindparam("inactive"))
    if foreign_id:
        conditions.append(Patient.foreign_id == bindparam("foreign_id"))
    if new_patient is not None:
        # A new patient has not been seen yet: no kept appointment that has started.
        seen = (
            select(Appointment.id)
            .where(
                Appointment.patient_id == Patient.id,
                Appointment.cancelled.is_(False),
                Appointment.start_time <= bindparam("now"),
            )
            .exists()
        )
        conditions.append(~seen if new_patient else seen)
    if non_patient:  # every record here is a patient
        conditions.append(false())
    return select(*listed, *([Patient.updated_at] if by_time else [])).where(*conditions)


def _values(filters: Filters, words: list[str]) -> dict:
    values = {f"word_{i}": _escaped(word) for i, word in enumerate(words)}
    if filters.email is not None:
        values["email"] = filters.email.strip().lower()
    if filters.phone_number is not None:
        values["phone_number"] = digits(filters.phone_number)
    if filters.date_of_birth is not None:
        values["date_of_birth"] = filters.date_of_birth
    if filters.updated_since is not None:
        values["updated_since"] = filters.updated_since
    if filters.inactive is not None:
        values["inactive"] = filters.inactive
    if filters.foreign_id is not None:
        values["foreign_id"] = filters.foreign_id
    if filters.new_patient is not None:
        values["now"] = clock.now()
    return values


def _escaped(word: str) -> str:
    # LIKE's wildcards in a searched word are literal characters.
    for special in (ESCAPE, "%", "_"):
        word = word.replace(special, ESCAPE + special)
    return word
