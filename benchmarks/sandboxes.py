"""Every organization's sandbox practice ("<Org> Demo Practice"): institution, location,
live enrollment, active grant and seeded health records. Organization 1's location gets
enough patients that the API's `per_page=100` returns full pages."""

import random
from collections.abc import Iterator
from datetime import date, timedelta

from benchmarks.plan import Plan
from benchmarks.sizes import Scale
from portal.models import EnrollmentStatus, GrantStatus, Mode

FIRST = ["Ava", "Liam", "Mia", "Noah", "Zoe", "Ethan", "Ivy", "Lucas", "Nora", "Owen"]
LAST = ["Garcia", "Smith", "Nguyen", "Patel", "Johnson", "Kim", "Lopez", "Brown", "Davis"]
PROVIDERS, OPERATORIES, TYPES, APPOINTMENTS = 3, 3, 4, 40


def _ids(plan: Plan) -> tuple[int, int]:
    """Sandbox institution / location id offsets, after the production rows."""
    return plan.scale.institutions, plan.scale.locations


def subdomain(org: int) -> str:
    return f"dev-{org:03d}-demo"


def location_id(plan: Plan, org: int) -> int:
    return location_id_in(plan.scale, org)


def location_id_in(scale: Scale, org: int) -> int:
    """The id of `org`'s sandbox location: right after the production locations."""
    return scale.locations + org


def institutions(plan: Plan) -> Iterator[dict]:
    base, _ = _ids(plan)
    for org in range(1, plan.scale.organizations + 1):
        yield {
            "id": base + org,
            "name": f"Developer {org:03d} Demo Practice",
            "subdomain": subdomain(org),
            "mode": Mode.SANDBOX,
            "street_address": "100 Main Street",
            "city": "Springfield",
            "state": "IL",
            "zip_code": "62701",
            "created_at": plan.now - timedelta(days=700),
        }


def locations(plan: Plan) -> Iterator[dict]:
    base, _ = _ids(plan)
    for org in range(1, plan.scale.organizations + 1):
        yield {
            "id": location_id(plan, org),
            "institution_id": base + org,
            "foreign_id": "1",
            "name": "Main Office",
            "created_at": plan.now - timedelta(days=700),
        }


def enrollments(plan: Plan) -> Iterator[dict]:
    base, _ = _ids(plan)
    for org in range(1, plan.scale.organizations + 1):
        yield {
            "id": base + org,
            "organization_id": org,
            "institution_id": base + org,
            "mode": Mode.SANDBOX,
            "status": EnrollmentStatus.LIVE,
            "status_changed_at": plan.now - timedelta(days=700),
            "created_at": plan.now - timedelta(days=700),
        }


def grants(plan: Plan) -> Iterator[dict]:
    base, locations_base = _ids(plan)
    for org in range(1, plan.scale.organizations + 1):
        yield {
            "id": locations_base + org,
            "enrollment_id": base + org,
            "location_id": location_id(plan, org),
            "status": GrantStatus.ACTIVE,
            "requested_at": plan.now - timedelta(days=700),
            "activated_at": plan.now - timedelta(days=700),
        }


def _per_location(plan: Plan, count: int, make) -> Iterator[dict]:
    row_id = 0
    for org in range(1, plan.scale.organizations + 1):
        for n in range(count(org)):
            row_id += 1
            yield {
                "id": row_id,
                "location_id": location_id(plan, org),
                "foreign_id": str(n + 1),
                "created_at": plan.now - timedelta(days=600),
                "updated_at": plan.now - timedelta(days=600, minutes=-n),
                **make(org, n),
            }


def providers(plan: Plan) -> Iterator[dict]:
    return _per_location(
        plan,
        lambda org: PROVIDERS,
        lambda org, n: {"first_name": FIRST[n], "last_name": LAST[n], "npi": f"12230000{n}X"},
    )


def operatories(plan: Plan) -> Iterator[dict]:
    return _per_location(plan, lambda org: OPERATORIES, lambda org, n: {"name": f"Op {n + 1}"})


def appointment_types(plan: Plan) -> Iterator[dict]:
    return _per_location(
        plan, lambda org: TYPES, lambda org, n: {"name": f"Visit {n + 1}", "minutes": 30}
    )


def patient_count(plan: Plan, org: int) -> int:
    return plan.scale.patients_big_sandbox if org == 1 else plan.scale.patients_sandbox


def patients(plan: Plan, rng: random.Random) -> Iterator[dict]:
    def make(org: int, n: int) -> dict:
        return {
            "provider_id": (org - 1) * PROVIDERS + 1 + n % PROVIDERS,
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "email": f"patient{n}.org{org}@mail.example",
            "phone_number": f"555{org:03d}{n:04d}",
            "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(0, 25_000)),
            "gender": rng.choice(["female", "male"]),
        }

    return _per_location(plan, lambda org: patient_count(plan, org), make)


def appointments(plan: Plan) -> Iterator[dict]:
    first_patient = {}
    total = 0
    for org in range(1, plan.scale.organizations + 1):
        first_patient[org] = total + 1
        total += patient_count(plan, org)

    def make(org: int, n: int) -> dict:
        start = plan.now.replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(
            days=n // 4, hours=n % 4
        )
        return {
            "patient_id": first_patient[org] + n % patient_count(plan, org),
            "provider_id": (org - 1) * PROVIDERS + 1 + n % PROVIDERS,
            "operatory_id": (org - 1) * OPERATORIES + 1 + n % OPERATORIES,
            "appointment_type_id": (org - 1) * TYPES + 1 + n % TYPES,
            "start_time": start,
            "end_time": start + timedelta(minutes=30),
        }

    return _per_location(plan, lambda org: APPOINTMENTS, make)
