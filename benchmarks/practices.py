"""Rows of the onboarding tables (organizations, users, institutions, syncs, locations,
enrollments, grants) from a `Plan`. Ids are assigned here, so foreign keys need no lookups
and the bulk inserts never read back."""

import random
from collections.abc import Iterator
from datetime import timedelta

from benchmarks.plan import Plan
from portal.catalogue import SYSTEMS
from portal.models import EnrollmentStatus, GrantStatus, Mode, Role, SyncStage
from portal.services import secrets
from portal.services.onboarding import matching

PASSWORD = "bench-password"
WORDS = [
    "Maple",
    "Cedar",
    "Harbor",
    "Summit",
    "Valley",
    "River",
    "Lakeside",
    "Oak",
    "Pine",
    "Bright",
    "Gentle",
    "Family",
    "Smile",
    "Park",
    "Village",
    "Coastal",
    "Sunrise",
    "Meadow",
    "Willow",
    "Canyon",
    "Prairie",
    "Granite",
    "Liberty",
    "Heritage",
    "Evergreen",
    "Northside",
    "Southside",
    "Westgate",
    "Eastview",
    "Riverside",
]
KINDS = ["Dental", "Dental Group", "Family Dentistry", "Orthodontics", "Smiles", "Dental Care"]
CITIES = [("Springfield", "IL"), ("Riverton", "WY"), ("Fairview", "TX"), ("Madison", "WI")]
STREETS = ["Main Street", "Oak Avenue", "Elm Road", "Park Boulevard", "Lake Drive"]


def agent_token(sync_id: int) -> str:
    """The bearer token of a generated active sync (the heartbeat scenario sends it)."""
    return f"agt_bench_{sync_id}"


def organizations(plan: Plan) -> Iterator[dict]:
    for org in range(1, plan.scale.organizations + 1):
        yield {
            "id": org,
            "name": "Big Developer Co" if org == 1 else f"Developer {org:03d}",
            "slug": f"dev-{org:03d}",
            "production_enabled": True,
            "created_at": plan.now - timedelta(days=800 - org),
        }


def users(plan: Plan, password_hash: str, totp_secret: str) -> Iterator[dict]:
    """One Owner per organization (as signing up makes), then one ops staff user (id
    organizations + 1) with two-factor sign-in set up, as staff must have."""
    for org in range(1, plan.scale.organizations + 2):
        staff = org > plan.scale.organizations
        yield {
            "id": org,
            "organization_id": None if staff else org,
            "email": "ops@bench.example" if staff else f"admin{org}@bench.example",
            "name": "Ops" if staff else f"Admin {org}",
            "password_hash": password_hash,
            "role": Role.OWNER,
            "is_staff": staff,
            "totp_secret_encrypted": totp_secret if staff else None,
            "totp_enabled_at": plan.now - timedelta(days=700) if staff else None,
            "session_version": 1,
            "created_at": plan.now - timedelta(days=700),
        }


def institutions(plan: Plan, rng: random.Random) -> Iterator[dict]:
    for i in range(plan.scale.institutions):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)} {i + 1}"
        city, state = rng.choice(CITIES)
        street = f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}"
        phone = f"555{i:07d}"
        yield {
            "id": i + 1,
            "name": name,
            "subdomain": f"practice-{i + 1}",
            "mode": Mode.PRODUCTION,
            "street_address": street,
            "street_address_2": "",
            "city": city,
            "state": state,
            "zip_code": f"{10000 + i % 89999:05d}",
            "phone_number": phone,
            "email": f"office{i + 1}@practice.example",
            "website": "",
            "contact_name": "Office Manager",
            "is_group": i % 20 == 0,
            "name_key": matching.name_key(name),
            "street_key": matching.street_key(street),
            "phone_digits": phone,
            "created_at": plan.now - timedelta(minutes=i),
        }


def syncs(plan: Plan) -> Iterator[dict]:
    for sync in plan.syncs:
        active = sync.status is SyncStage.ACTIVE
        yield {
            "id": sync.id,
            "institution_id": sync.institution + 1,
            "created_by_org_id": plan.owner[sync.institution],
            "ehr": sync.ehr,
            "install_method": SYSTEMS[sync.ehr].install,
            "server_name": f"SERVER{sync.id % 7}",
            "status": sync.status,
            "failure_reason": "Database login refused" if sync.status is SyncStage.FAILED else "",
            "agent_token_digest": secrets.digest(agent_token(sync.id)) if active else None,
            "proposed_windows": [],
            "hostname": f"host-{sync.id}" if active else "",
            "agent_version": "2.4.1" if active else "",
            "activated_at": plan.now - timedelta(days=30) if active else None,
            "last_read_at": sync.last_read_at,
            "last_write_at": sync.last_write_at,
            "created_at": plan.now - timedelta(days=60, minutes=sync.id),
        }


def locations(plan: Plan) -> Iterator[dict]:
    per = plan.scale.locations_per_institution
    for i in range(plan.scale.institutions):
        for k in range(per):
            yield {
                "id": i * per + k + 1,
                "institution_id": i + 1,
                "sync_id": plan.first_sync.get(i),
                "foreign_id": str(k + 1),
                "name": f"Location {k + 1}",
                "street_address": f"{k + 1} Main Street",
                "city": "Springfield",
                "state": "IL",
                "zip_code": "62701",
                "phone_number": "",
                "tz": "America/Chicago",
                "created_at": plan.now - timedelta(days=30),
            }


def enrollments(plan: Plan) -> Iterator[dict]:
    for i in range(plan.scale.institutions):
        created = plan.now - timedelta(minutes=7 * (plan.scale.institutions - i))
        yield {
            "id": i + 1,
            "organization_id": plan.owner[i],
            "institution_id": i + 1,
            "mode": Mode.PRODUCTION,
            "status": plan.status[i],
            "status_reason": "consent expired" if plan.status[i] is EnrollmentStatus.FAILED else "",
            "status_changed_at": created,
            "created_at": created,
        }


def grants(plan: Plan) -> Iterator[dict]:
    per = plan.scale.locations_per_institution
    for i in range(plan.scale.institutions):
        status = plan.status[i]
        kind = {
            EnrollmentStatus.LIVE: GrantStatus.ACTIVE,
            EnrollmentStatus.DEACTIVATED: GrantStatus.DEACTIVATED,
        }.get(status, GrantStatus.REQUESTED)
        since = plan.now - timedelta(days=20)
        for k in range(per):
            yield {
                "id": i * per + k + 1,
                "enrollment_id": i + 1,
                "location_id": i * per + k + 1,
                "status": kind,
                "requested_at": since - timedelta(days=1),
                "activated_at": None if kind is GrantStatus.REQUESTED else since,
                "deactivated_at": since + timedelta(days=5)
                if kind is GrantStatus.DEACTIVATED
                else None,
            }
