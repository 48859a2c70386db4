"""`available_slots` for one location with 5 providers, each working Monday to Friday 8:00 to
17:00, over 2 weeks: `portal.services.records.slots.find`, the whole computation behind
`GET /api/available_slots` (its two queries and the slot arithmetic), median of the runs.
Budget 50 ms.

The location is organization 1's sandbox practice (its providers, operatories and
appointments as generated); the scenario adds the providers and working hours it lacks, once
(marked with the source "bench", so a rerun finds them)."""

from datetime import timedelta

from sqlalchemy import func, select

from benchmarks import sandboxes
from benchmarks.context import BIG_ORG, Bench
from benchmarks.harness import median_ms
from portal import clock
from portal.extensions import db
from portal.models import Location
from portal.records import Provider, WorkingHour
from portal.services.records import slots

SLOTS_BUDGET_MS = 50
PROVIDERS, DAYS = 5, 14
WEEKDAYS = "Monday,Tuesday,Wednesday,Thursday,Friday"


def available_slots(bench: Bench) -> None:
    with bench.app.app_context():
        location = db.session.get(Location, sandboxes.location_id_in(bench.scale, BIG_ORG))
        _working_week(location)
        request = slots.Request(
            start_date=clock.now().date() + timedelta(days=1), days=DAYS, locations=[location]
        )
        found = slots.find(request)
        ms = median_ms(lambda: slots.find(request), bench.runs)
    bench.result(
        f"available_slots, {PROVIDERS} providers, {DAYS} days",
        "ms",
        ms,
        budget=SLOTS_BUDGET_MS,
        note=f"{sum(len(s) for s in found.values()):,} slots, 30-minute default length",
    )


def _working_week(location: Location) -> None:
    bench_hours = select(func.count(WorkingHour.id)).where(
        WorkingHour.location_id == location.id, WorkingHour.source == "bench"
    )
    if db.session.scalar(bench_hours):
        return
    providers = db.session.scalars(
        select(Provider).where(Provider.location_id == location.id).order_by(Provider.id)
    ).all()
    for n in range(len(providers), PROVIDERS):
        providers.append(Provider(location_id=location.id, first_name="Bench", last_name=f"{n}"))
    db.session.add_all(providers)
    db.session.flush()
    for provider in providers[:PROVIDERS]:
        db.session.add(
            WorkingHour(
                location_id=location.id,
                provider_id=provider.id,
                begin_time="08:00",
                end_time="17:00",
                days=WEEKDAYS,
                source="bench",
            )
        )
    db.session.commit()
