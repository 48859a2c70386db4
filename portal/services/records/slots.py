"""Available slots: the free times of providers' working hours, computed for a window of
days in one pass per working hour over the day's appointments (two queries in all)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.models import Location
from portal.records import Appointment, AppointmentType, WorkingHour
from portal.services.records.api_access import InvalidField
from portal.services.records.working_hours import DAYS

DEFAULT_MINUTES = 30


@dataclass(frozen=True)
class Request:
    start_date: date
    days: int
    locations: list[Location]
    provider_ids: list[int] = field(default_factory=list)
    operatory_ids: list[int] = field(default_factory=list)
    appointment_type: AppointmentType | None = None
    slot_length: int | None = None
    slot_interval: int | None = None
    label_id: int | None = None
    source: str | None = None
    overlapping_operatory_slots: bool = False


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the location's zone
    end: datetime
    provider_id: int
    operatory_id: int | None
    label_id: int | None


def find(request: Request) -> dict[tuple[int, int], list[Slot]]:
    """Free slots by (location id, provider id), in time order. A slot lies inside a working
    hour of its provider, after now, and overlaps no kept appointment of the provider or of
    the working hour's operatory."""
    length = request.slot_length or (
        request.appointment_type.minutes if request.appointment_type else DEFAULT_MINUTES
    )
    step = timedelta(minutes=request.slot_interval or length)
    hours = _working_hours(request)
    zones = {loc.id: ZoneInfo(loc.tz) for loc in request.locations}
    first = min(datetime.combine(request.start_date, time(0), z) for z in zones.values())
    last = max(
        datetime.combine(request.start_date + timedelta(days=request.days), time(0), z)
        for z in zones.values()
    )
    busy = _busy(hours, first, last)
    now, found = clock.now(), defaultdict(list)
    for day in (request.start_date + timedelta(days=n) for n in range(request.days)):
        for hour in hours:
            if not _works_on(hour, day):
                continue
            zone = zones[hour.location_id]
            begin = datetime.combine(day, time.fromisoformat(hour.begin_time), zone)
            end = datetime.combine(day, time.fromisoformat(hour.end_time), zone)
            taken = busy[("provider", hour.provider_id)] + busy[("operatory", hour.operatory_id)]
            for start in _free(begin, end, timedelta(minutes=length), step, sorted(taken), now):
                found[(hour.location_id, hour.provider_id)].append(
                    Slot(
                        start,
                        start + timedelta(minutes=length),
                        hour.provider_id,
                        hour.operatory_id,
                        hour.label_id,
                    )
                )
    return {
        key: _ordered(slots, request.overlapping_operatory_slots) for key, slots in found.items()
    }


def _working_hours(request: Request) -> list[WorkingHour]:
    query = (
        select(WorkingHour)
        .options(selectinload(WorkingHour.appointment_types))
        .where(
            WorkingHour.location_id.in_([loc.id for loc in request.locations]),
            WorkingHour.active.is_(True),
        )
        .order_by(WorkingHour.id)
    )
    if request.provider_ids:
        query = query.where(WorkingHour.provider_id.in_(request.provider_ids))
    if request.operatory_ids:
        query = query.where(WorkingHour.operatory_id.in_(request.operatory_ids))
    if request.label_id is not None:
        query = query.where(WorkingHour.label_id == request.label_id)
    if request.source is not None:
        query = query.where(WorkingHour.source == request.source)
    hours = db.session.scalars(query).all()
    kind = request.appointment_type
    # A working hour with appointment types takes only those; one without takes any.
    return [
        h for h in hours if kind is None or not h.appointment_types or kind in h.appointment_types
    ]


def _busy(hours: list[WorkingHour], first: datetime, last: datetime) -> dict:
    """Kept appointments of the hours' providers and operatories in the window, as intervals."""
    busy = defaultdict(list)
    providers = {h.provider_id for h in hours}
    operatories = {h.operatory_id for h in hours if h.operatory_id is not None}
    if not providers:
        return busy
    rows = db.session.execute(
        select(
            Appointment.provider_id,
            Appointment.operatory_id,
            Appointment.start_time,
            Appointment.end_time,
        ).where(
            Appointment.provider_id.in_(providers) | Appointment.operatory_id.in_(operatories),
            Appointment.cancelled.is_(False),
            Appointment.start_time < last,
            Appointment.end_time > first,
        )
    )
    for provider_id, operatory_id, start, end in rows:
        busy[("provider", provider_id)].append((start, end))
        if operatory_id is not None:
            busy[("operatory", operatory_id)].append((start, end))
    return busy


def _works_on(hour: WorkingHour, day: date) -> bool:
    if hour.specific_date is not None:
        return hour.specific_date == day
    if hour.recurrence_num:
        return _recurs_on(hour, day)
    return DAYS[(day.weekday() + 1) % 7] in hour.days.split(",")


def _recurs_on(hour: WorkingHour, day: date) -> bool:
    ref, every = hour.recurrence_ref, hour.recurrence_num
    if day < ref:
        return False
    if hour.recurrence_unit == "day":
        return (day - ref).days % every == 0
    if hour.recurrence_unit == "week":
        return (day - ref).days % (7 * every) == 0
    months = (day.year - ref.year) * 12 + day.month - ref.month
    return day.day == ref.day and months % every == 0


def _free(begin, end, length, step, taken, now):
    """Starts of the slots of [begin, end) that clear every interval in `taken` (sorted by
    start): slots and intervals are walked together, once."""
    index, start = 0, begin
    while start + length <= end:
        stop = start + length
        while index < len(taken) and taken[index][1] <= start and taken[index][0] <= start:
            index += 1
        ahead, clear = index, True
        while ahead < len(taken) and taken[ahead][0] < stop:
            if taken[ahead][1] > start:
                clear = False
                break
            ahead += 1
        if clear and start >= now:
            yield start
        start += step


def _ordered(slots: list[Slot], overlapping: bool) -> list[Slot]:
    slots.sort(key=lambda s: (s.start, s.operatory_id or 0))
    if overlapping:
        return slots
    seen, kept = set(), []
    for slot in slots:  # one slot per provider and time, whatever the operatories
        if slot.start not in seen:
            seen.add(slot.start)
            kept.append(slot)
    return kept


def check_window(days: int) -> None:
    if not 1 <= days <= 31:
        raise InvalidField("days", "must be a whole number from 1 to 31.")
