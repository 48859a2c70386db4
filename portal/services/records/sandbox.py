"""The sandbox: "<Org> Demo Practice" with one location and seeded, deterministic records."""

import random
from datetime import date, datetime, time, timedelta

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
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider
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
    patients = [_patient(rng, location, providers, i) for i in range(PATIENTS)]
    db.session.add_all(patients)
    db.session.flush()
    db.session.add_all(_appointments(rng, location, patients, providers, operatories, types, today))


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
    """Non-overlapping slots: each (provider, operatory) pair gets its own hour of the day."""
    slots = set()
    while len(slots) < APPOINTMENTS:
        day = today + timedelta(days=rng.randrange(-21, 22))
        if day.weekday() < 5:
            slots.add((day, rng.randrange(len(providers)), 8 + rng.randrange(9)))
    appointments = []
    for i, (day, p, hour) in enumerate(sorted(slots)):
        kind = rng.choice(types)
        start = datetime.combine(day, time(hour), tzinfo=clock.now().tzinfo)
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
                confirmed=rng.random() < 0.5,
            )
        )
    return appointments
