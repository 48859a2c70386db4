"""More rows of every kind on top of the demo world, added through the services as people,
agents and the API would, so each console list has more rows than a small page shows."""

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import ApiRequest, Institution, Location, Mode, User, WebhookEndpoint
from portal.records import Patient, Provider
from portal.services import commit, demo, demo_webhooks, demo_world
from portal.services.accounts import api_keys, users
from portal.services.imports import csv_import
from portal.services.onboarding import activations, consent, institutions
from portal.services.records import api_access, appointments
from portal.services.webhooks import delivery_log

EXTRA = 6  # rows added to each list; the demo world has at least two of each already
CSV = (
    "institution_name,street_address,street_address_2,city,state,zip_code,phone_number,email,"
    "website,contact_name,is_group,ehr,server_name\r\n"
    "Northgate Dental {n},4 North Gate,,Troy,NY,12180,(518) 555-02{n:02d},,,,no,eaglesoft,NG\r\n"
)


def details(name: str, n: int) -> institutions.Details:
    return institutions.Details(
        name=name,
        street_address=f"{n + 100} Grove Street",
        city="Albany",
        state="NY",
        zip_code="12207",
        phone_number=f"(518) 555-03{n:02d}",
        email=f"desk{n}@{name.split()[0].lower()}.example",
        contact_name="Front Desk",
    )


def _person(email: str) -> User:
    return users.find_user_by_email(email)


def add() -> None:
    admin, staff = _person(demo.LOGINS[0].email), _person(demo.LOGINS[2].email)
    riverside = db.session.scalar(
        select(Institution).where(Institution.name == "Riverside Family Dental")
    )
    for n in range(EXTRA):
        _organization(n, staff, riverside)
        users.add_member(admin.organization, f"dev{n}@acme.example", f"Dev {n}", demo.PASSWORD)
        _quiet_sync(admin, n)
    _webhooks(admin)
    _bookings(admin)
    _api_calls(admin)


def _organization(n: int, staff: User, riverside: Institution) -> None:
    """An upgraded organization that asks a practice for access, uploads a CSV and asks
    staff to activate an office of its own live practice."""
    owner = users.signup(
        organization_name=f"Extra Apps {n}",
        name=f"Owner {n}",
        email_address=f"owner{n}@extra{n}.example",
        password=demo.PASSWORD,
        welcome=False,
    )
    demo_world.upgrade(owner, staff)
    consent.request_access(riverside, actor=owner)
    csv_import.upload(owner.organization, "practices.csv", CSV.format(n=n).encode(), actor=owner)
    practice = institutions.create(
        details(f"Extra Practice {n}", n), actor=owner, mode=Mode.PRODUCTION
    )
    demo_world._installed(practice, owner, server=f"EXTRA{n}", offices=2)
    first, second = (location.id for location in practice.institution.locations)
    activations.select_locations(practice, [first], actor=owner)
    activations.request(practice, [second], actor=owner)


def _quiet_sync(admin: User, n: int) -> None:
    """A live practice whose Synchronizer went quiet three hours ago: an issue."""
    enrollment = institutions.create(
        details(f"Quiet Dental {n}", n + 20), actor=admin, mode=Mode.PRODUCTION
    )
    demo_world._installed(enrollment, admin, server=f"QUIET{n}", ago=180)


def _webhooks(admin: User) -> None:
    endpoints = [
        demo_webhooks._endpoint(admin, f"https://hooks{n}.acme-dental-apps.example/in")
        for n in range(EXTRA)
    ]
    commit()
    working = db.session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.target_url.like("https://hooks.%"))
    )
    for endpoint in [working] * EXTRA + endpoints:
        delivery_log.send_test(endpoint, by=admin)


def _bookings(admin: User) -> None:
    """More API bookings at the live Hudson office: each waits as a write to the practice."""
    office = db.session.scalar(select(Location).where(Location.name.like("Hudson%Main Office")))
    provider = db.session.scalar(select(Provider.id).where(Provider.location_id == office.id))
    patient = db.session.scalar(select(Patient.id).where(Patient.location_id == office.id))
    key = api_keys.current_key(admin.organization, Mode.PRODUCTION)
    start = (clock.now() + timedelta(days=5)).replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(EXTRA):
        booking = appointments.Booking(patient, provider, start + timedelta(hours=n))
        appointments.book(office, booking, caller=api_access.Caller.of(key))


def _api_calls(admin: User) -> None:
    """Production calls in the request log, as the API's writer stores them."""
    for n in range(EXTRA):
        db.session.add(
            ApiRequest(
                organization_id=admin.organization_id,
                mode=Mode.PRODUCTION,
                key_prefix="sp_live_ab12",
                method="GET",
                path=f"/api/patients/{n}",
                query="subdomain=hudson-family-dental",
                status=200 if n % 2 else 404,
                duration_ms=10.0 + n,
                subdomain="hudson-family-dental",
                request_id=f"{n:032x}",
                error="" if n % 2 else "Patient not found.",
            )
        )
    commit()
