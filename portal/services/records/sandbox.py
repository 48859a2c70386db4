"""The sandbox: "<Org> Demo Practice" with one location and seeded, deterministic records."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    Location,
    LocationGrant,
    Mode,
    Organization,
)
from portal.records import (
    Appointment,
    AppointmentDescriptor,
    AppointmentType,
    Operatory,
    Patient,
    PatientRecall,
    Provider,
    RecallType,
    WorkingHour,
    WorkingHourLabel,
)
from portal.services.naming import fit, unique_slug
from portal.services.records import timezones

FIRST = [
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Ethan",
    "Ivy",
    "Lucas",
    "Nora",
    "Owen",
    "Ruby",
    "Leo",
    "Emma",
    "Jack",
    "Chloe",
    "Mason",
    "Lily",
    "Henry",
    "Grace",
    "Elias",
]
LAST = [
    "Garcia",
    "Smith",
    "Nguyen",
    "Patel",
    "Johnson",
    "Kim",
    "Lopez",
    "Brown",
    "Davis",
    "Wilson",
    "Clark",
    "Lewis",
    "Young",
    "Hall",
    "Allen",
    "Wright",
]
PROVIDERS = [
    ("Sarah", "Chen", "1223G0001X"),
    ("Marcus", "Reed", "1223S0112X"),
    ("Priya", "Shah", "1223P0221X"),
]
OPERATORIES = ["Op 1", "Op 2", "Hygiene 1"]
APPOINTMENT_TYPES = [("Cleaning", 60), ("Exam", 30), ("Filling", 60), ("Consultation", 30)]
# CDT procedure codes each appointment type is booked with in the practice's system.
DESCRIPTORS = {
    "Cleaning": [("D1110", "Prophylaxis - adult")],
    "Exam": [("D0120", "Periodic oral evaluation"), ("D0274", "Bitewings - four films")],
    "Filling": [("D2391", "Resin-based composite - one surface")],
    "Consultation": [("D9310", "Consultation")],
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
OPENING = ("08:00", "17:00")  # the appointments seeded below fall in these hours
LABELS = ["Regular hours", "New patients", "Emergencies"]
RECALLS = [
    ("Prophy", "Adult cleaning", 6, "M"),
    ("Perio maintenance", "Periodontal care", 3, "M"),
    ("Bitewings", "Bitewing X-rays", 12, "M"),
]
PATIENTS = 25
APPOINTMENTS = 40


def create_demo_practice(organization: Organization) -> Enrollment:
    """Create the organization's sandbox institution, its location, and a live enrollment."""
    name = fit(f"{organization.name} Demo Practice", Institution.name)
    institution = Institution(
        name=name,
        subdomain=unique_slug(Institution.subdomain, f"{organization.slug}-demo"),
        mode=Mode.SANDBOX,
        street_address="100 Main Street",
        city="Springfield",
        state="IL",
        zip_code="62701",
        phone_number="(217) 555-0100",
        email="frontdesk@demo-practice.example",
        contact_name="Front Desk",
    )
    location = Location(
        institution=institution,
        foreign_id="1",
        name=fit(f"{name} - Main Office", Location.name),
        street_address="100 Main Street",
        city="Springfield",
        state="IL",
        zip_code="62701",
        phone_number="(217) 555-0100",
        tz=timezones.for_state("IL"),
    )
    now = clock.now()
    enrollment = Enrollment(
        organization=organization,
        institution=institution,
        mode=Mode.SANDBOX,
        status=EnrollmentStatus.LIVE,
    )
    grant = LocationGrant(
        enrollment=enrollment, location=location, status=GrantStatus.ACTIVE, activated_at=now
    )
    db.session.add_all([institution, location, enrollment, grant])
    db.session.flush()
    seed_records(location, seed=institution.subdomain, today=now.date())
    return enrollment


def seed_records(location: Location, *, seed: str, today: date) -> None:
    """Providers, operatories, appointment types, patients and appointments for `location`.

    The same seed and day give the same data; appointments fall in the weeks around `today`.
    """
    rng = random.Random(seed)
    providers = [
        Provider(
            location_id=location.id,
            foreign_id=str(i + 1),
            first_name=first,
            last_name=last,
            npi=npi,
            email=f"{first.lower()}@demo-practice.example",
        )
        for i, (first, last, npi) in enumerate(PROVIDERS)
    ]
    operatories = [
        Operatory(location_id=location.id, foreign_id=str(i + 1), name=name)
        for i, name in enumerate(OPERATORIES)
    ]
    types = [
        AppointmentType(location_id=location.id, foreign_id=str(i + 1), name=name, minutes=m)
        for i, (name, m) in enumerate(APPOINTMENT_TYPES)
    ]
    db.session.add_all(providers + operatories + types)
    db.session.flush()
    _schedule(location, providers, operatories, types)
    patients = [_patient(rng, location, providers, i) for i in range(PATIENTS)]
    db.session.add_all(patients)
    db.session.flush()
    db.session.add_all(_appointments(rng, location, patients, providers, operatories, types, today))
    _recalls(rng, location, patients, today)


def _schedule(location, providers, operatories, types) -> None:
    """Descriptors on each appointment type, and working hours: each provider in their own
    operatory on weekdays, taking every appointment type."""
    for kind in types:
        kind.descriptors = [
            AppointmentDescriptor(
                location_id=location.id,
                foreign_id=code,
                descriptor_type="Procedure Code",
                name=name,
                code=code,
            )
            for code, name in DESCRIPTORS[kind.name]
        ]
    labels = [
        WorkingHourLabel(location_id=location.id, foreign_id=str(i + 1), name=name)
        for i, name in enumerate(LABELS)
    ]
    db.session.add_all(labels)
    label = labels[0]
    db.session.add_all(
        WorkingHour(
            location_id=location.id,
            foreign_id=str(i + 1),
            provider_id=provider.id,
            operatory_id=operatory.id,
            label=label,
            begin_time=OPENING[0],
            end_time=OPENING[1],
            days=",".join(WEEKDAYS),
            source="synced",
            appointment_types=list(types),
        )
        for i, (provider, operatory) in enumerate(zip(providers, operatories, strict=True))
    )


def _recalls(rng: random.Random, location: Location, patients: list, today: date) -> None:
    kinds = [
        RecallType(
            location_id=location.id,
            foreign_id=str(i + 1),
            name=name,
            description=description,
            interval_num=num,
            interval_unit=unit,
        )
        for i, (name, description, num, unit) in enumerate(RECALLS)
    ]
    db.session.add_all(kinds)
    db.session.flush()
    db.session.add_all(
        PatientRecall(
            location_id=location.id,
            foreign_id=str(7000 + i),
            patient_id=patient.id,
            recall_type_id=rng.choice(kinds).id,
            date_due=today + timedelta(days=rng.randrange(-60, 180)),
        )
        for i, patient in enumerate(patients)
    )


def _patient(rng: random.Random, location: Location, providers: list[Provider], i: int) -> Patient:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return Patient(
        location_id=location.id,
        foreign_id=str(1000 + i),
        provider_id=rng.choice(providers).id,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}{i}@example.com",
        phone_number=f"217555{1000 + i:04d}",
        date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 65)),
        gender=rng.choice(["female", "male"]),
    )


def _appointments(rng, location, patients, providers, operatories, types, today):
    """Non-overlapping slots: each (provider, operatory) pair gets its own hour of the day,
    within OPENING in the location's own time zone (as its working hours are)."""
    slots = set()
    while len(slots) < APPOINTMENTS:
        day = today + timedelta(days=rng.randrange(-21, 22))
        if day.weekday() < 5:
            slots.add((day, rng.randrange(len(providers)), 8 + rng.randrange(9)))
    appointments, zone = [], ZoneInfo(location.tz)
    for i, (day, p, hour) in enumerate(sorted(slots)):
        kind = rng.choice(types)
        start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
        appointments.append(
            Appointment(
                location_id=location.id,
                foreign_id=str(5000 + i),
                patient_id=rng.choice(patients).id,
                provider_id=providers[p].id,
                operatory_id=operatories[p].id,
                appointment_type_id=kind.id,
                start_time=start,
                end_time=start + timedelta(minutes=kind.minutes),
                confirmed=(confirmed := rng.random() < 0.5),
                confirmed_at=start - timedelta(days=2) if confirmed else None,
            )
        )
    return appointments
