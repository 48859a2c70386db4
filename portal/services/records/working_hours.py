"""Working hours: when a provider (in an operatory) takes appointments at a location, and
their labels. Created, changed and deleted through the API, one transaction each."""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.models import Institution, Location
from portal.records import AppointmentType, Operatory, Provider, WorkingHour, WorkingHourLabel
from portal.services import commit, pagination
from portal.services.records import api_access
from portal.services.records.api_access import Caller, InvalidField, get_record
from portal.services.records.appointments import at_location

DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
UNITS = ("day", "week", "month")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class Recurrence:
    num: int
    ref: date
    unit: str


@dataclass(frozen=True)
class Hours:
    """A working hour as written by a client; None leaves a field as it is on a change."""

    provider_id: int | None = None
    begin_time: str | None = None
    end_time: str | None = None
    operatory_id: int | None = None
    appointment_type_ids: list[int] | None = None
    days: list[str] | None = None
    specific_date: date | None = None
    custom_recurrence: Recurrence | None = None
    active: bool | None = None


@dataclass(frozen=True)
class Filters:
    provider_id: int | None = None
    operatory_id: int | None = None
    label_id: int | None = None
    source: str | None = None
    active: bool = True
    ignore_past_dates: bool = False
    ids: list[int] = field(default_factory=list)


def search(location: Location, filters: Filters, *, per_page: int, **cursors):
    """A page of the location's working hours, with their labels and appointment types."""
    query = (
        select(WorkingHour)
        .options(selectinload(WorkingHour.appointment_types), selectinload(WorkingHour.label))
        .where(WorkingHour.location_id == location.id, WorkingHour.active.is_(filters.active))
    )
    for value, column in (
        (filters.provider_id, WorkingHour.provider_id),
        (filters.operatory_id, WorkingHour.operatory_id),
        (filters.label_id, WorkingHour.label_id),
        (filters.source, WorkingHour.source),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.ignore_past_dates:
        today = clock.now().date()
        query = query.where(
            (WorkingHour.specific_date.is_(None)) | (WorkingHour.specific_date >= today)
        )
    order = pagination.sort_by("id", WorkingHour, ("id",))
    return pagination.paginate(query, order, per_page, **cursors)


def get(caller: Caller, institution: Institution, hour_id: int) -> WorkingHour:
    return get_record(WorkingHour, caller, institution, hour_id, "Working hour")


def create(location: Location, hours: Hours, *, caller: Caller) -> WorkingHour:
    """A new working hour at `location`. Raises InvalidField naming what is missing or wrong:
    provider, begin and end times are needed, and exactly one of days, specific_date or
    custom_recurrence."""
    for name in ("provider_id", "begin_time", "end_time"):
        if getattr(hours, name) is None:
            raise InvalidField(f"working_hour.{name}", "is required.")
    row = WorkingHour(location_id=location.id, source="manual", active=True)
    _write(row, location, hours)
    db.session.add(row)
    db.session.flush()
    api_access.audit(caller, "working_hour.created", row, location_id=location.id)
    commit()
    return row


def change(row: WorkingHour, hours: Hours, *, caller: Caller) -> WorkingHour:
    """Change the fields given; the rules of `create` hold for the result."""
    _write(row, api_access.location_of(row), hours)
    api_access.audit(caller, "working_hour.changed", row)
    commit()
    return row


def delete(row: WorkingHour, *, caller: Caller) -> None:
    api_access.audit(caller, "working_hour.deleted", row, location_id=row.location_id)
    db.session.delete(row)
    commit()


def _write(row: WorkingHour, location: Location, hours: Hours) -> None:
    name = "working_hour."
    if hours.provider_id is not None:
        row.provider_id = at_location(
            location, Provider, hours.provider_id, name + "provider_id"
        ).id
    if hours.operatory_id is not None:
        found = at_location(location, Operatory, hours.operatory_id, name + "operatory_id")
        row.operatory_id = found.id
    for key in ("begin_time", "end_time"):
        value = getattr(hours, key)
        if value is not None:
            if not CLOCK.match(value):
                raise InvalidField(name + key, "must be a time of day as HH:MM.")
            setattr(row, key, value)
    if row.end_time <= row.begin_time:
        raise InvalidField(name + "end_time", "must be after working_hour.begin_time.")
    if hours.active is not None:
        row.active = hours.active
    _write_schedule(row, hours)
    if hours.appointment_type_ids is not None:
        row.appointment_types = _types(location, hours.appointment_type_ids)


def _write_schedule(row: WorkingHour, hours: Hours) -> None:
    given = [hours.days, hours.specific_date, hours.custom_recurrence]
    chosen = sum(value is not None for value in given)
    if chosen > 1 or (chosen == 0 and not (row.days or row.specific_date or row.recurrence_num)):
        raise InvalidField(
            "working_hour.days", "or specific_date or custom_recurrence: give exactly one."
        )
    if chosen == 0:
        return
    row.days, row.specific_date = "", None
    row.recurrence_num = row.recurrence_unit = row.recurrence_ref = None
    if hours.days is not None:
        if not hours.days or any(day not in DAYS for day in hours.days):
            raise InvalidField("working_hour.days", f"must name days among: {', '.join(DAYS)}.")
        row.days = ",".join(sorted(set(hours.days), key=DAYS.index))
    elif hours.specific_date is not None:
        row.specific_date = hours.specific_date
    else:
        every = hours.custom_recurrence
        row.recurrence_num, row.recurrence_unit, row.recurrence_ref = (
            every.num,
            every.unit,
            every.ref,
        )


def _types(location: Location, ids: list[int]) -> list[AppointmentType]:
    found = db.session.scalars(
        select(AppointmentType).where(
            AppointmentType.id.in_(ids), AppointmentType.location_id == location.id
        )
    ).all()
    if len(found) != len(set(ids)):
        raise InvalidField(
            "working_hour.appointment_type_ids", "must name appointment types of this location."
        )
    return list(found)


def labels(
    caller: Caller,
    institution: Institution,
    location: Location | None,
    *,
    name: str | None,
    active: bool | None,
    per_page: int,
    **cursors,
):
    """A page of working hour labels of `location`, or of every reachable location."""
    where = (
        WorkingHourLabel.location_id == location.id
        if location is not None
        else WorkingHourLabel.location_id.in_(
            api_access.reachable_location_ids(caller, institution)
        )
    )
    query = select(WorkingHourLabel).where(where)
    if name:
        query = query.where(WorkingHourLabel.name.icontains(name.strip(), autoescape=True))
    if active is not None:
        query = query.where(WorkingHourLabel.active.is_(active))
    order = pagination.sort_by("id", WorkingHourLabel, ("id",))
    return pagination.paginate(query, order, per_page, **cursors)
