"""The practices of the demo world, built through the services as people and agents would:
for the demo organization, an institution at every step of onboarding; a second
organization whose live practices the demo organization can match (and has asked one of);
a third waiting for its upgrade; so every tab of the portal and every ops queue has rows."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    EmailStatus,
    Enrollment,
    Location,
    Mode,
    OutboundEmail,
    PendingWrite,
    Role,
    Sync,
    User,
)
from portal.records import Patient, Provider
from portal.services import commit, demo_webhooks
from portal.services.accounts import api_keys, invitations, upgrades, users
from portal.services.dashboards import sandbox_summary
from portal.services.imports import applying, csv_import
from portal.services.onboarding import activations, consent, deactivations, institutions
from portal.services.records import api_access, appointments, pending_writes, uploads
from portal.services.syncs import agents, installs, keys, setup

# A practice of the demo world: its details (Albany, NY area) and phone.
STREETS = {
    "Hudson Family Dental": ("12 River Road", "(518) 555-0199"),
    "Lakeside Dental Care": ("40 Lake Avenue", "(518) 555-0123"),
    "Summit Smiles": ("7 Summit Street", "(518) 555-0131"),
    "Cedar Grove Pediatric Dentistry": ("300 Cedar Lane", "(518) 555-0144"),
    "Harbor View Dental Group": ("88 Harbor Drive", "(518) 555-0152"),
    "Bayside Dental": ("15 Bay Road", "(518) 555-0163"),
    "Pinecrest Orthodontics": ("210 Pine Street", "(518) 555-0175"),
    "Elm Street Dental": ("9 Elm Street", "(518) 555-0186"),
    "Old Town Dental": ("1 Old Town Square", "(518) 555-0107"),
    "Riverside Family Dental": ("500 Riverside Drive", "(518) 555-0110"),
    "Maple Street Orthodontics": ("61 Maple Street", "(518) 555-0142"),
}
MATCHABLE = "Maple Street Orthodontics"  # create it again in the portal to see a match


@dataclass(frozen=True)
class People:
    admin: User
    member: User
    staff: User
    password: str  # of every demo login


def build(people: People) -> None:
    """Every onboarding step, oldest first, so the lists read as a history."""
    other = _second_organization(people)
    hudson = _live_with_locations(people)
    _stale(people)
    _failed(people)
    _needs_locations(people)
    _credentials_rejected(people)
    _cloud_install(people)
    _scheduled_install(people)
    _created(people, "Elm Street Dental")
    _deactivated(people)
    consent.request_access(other["Riverside Family Dental"], actor=people.admin)
    _imported(people)
    _third_organization_waits_for_its_upgrade(people)
    invitations.invite("dev@acme.example", role=Role.DEVELOPER, actor=people.admin)
    key = api_keys.create(people.admin.organization, Mode.PRODUCTION, actor=people.admin)
    demo_webhooks.build(people.admin)
    demo_webhooks.sandbox(people.admin, _sandbox_running(people))
    _practice_records(hudson, key.key)
    _delivered_and_one_failed_email()


def _details(name: str) -> institutions.Details:
    street, phone = STREETS[name]
    email = name.lower().replace(" ", "") + "@practice.example"
    return institutions.Details(
        name=name,
        street_address=street,
        city="Albany",
        state="NY",
        zip_code="12207",
        phone_number=phone,
        email=email,
        contact_name="Front Desk",
    )


def _created(people: People, name: str, *, admin: User | None = None):
    actor = admin or people.admin
    return institutions.create(_details(name), actor=actor, mode=Mode.PRODUCTION)


def _installed(enrollment, actor, *, ehr="dentrix", server="FRONTDESK", offices=1, ago=0):
    """A self-installer sync whose Synchronizer activated and reported `offices` locations,
    last read and written `ago` minutes ago."""
    sync = setup.create_sync(enrollment, ehr=ehr, server_name=server, actor=actor)
    sync, token = agents.activate(keys.product_key(sync), hostname=f"{server}-PC", version="4.2")
    moment = clock.now() - timedelta(minutes=ago)
    reported = [
        agents.ReportedLocation(foreign_id=str(i), name=f"{enrollment.institution.name} {label}")
        for i, label in enumerate(["Main Office", "North Office", "South Office"][:offices], 1)
    ]
    agents.heartbeat(sync, last_read_at=moment, last_write_at=moment, locations=reported)
    return sync


def _sandbox_running(people: People) -> Enrollment:
    """The sandbox practice's complimentary sync, installed and reporting (no new office),
    so the Sandbox page's controls have a sync to make stale."""
    organization = people.admin.organization
    location = db.session.get(Location, sandbox_summary(organization).location_id)
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.institution_id == location.institution_id,
            Enrollment.organization_id == organization.id,
        )
    )
    _installed(enrollment, people.admin, ehr="opendental", server="TRYOUT", offices=0)
    return enrollment


def _live_with_locations(people: People) -> Sync:
    enrollment = _created(people, "Hudson Family Dental")
    sync = _installed(enrollment, people.admin, offices=3)
    first_two = [location.id for location in enrollment.institution.locations[:2]]
    activations.select_locations(enrollment, first_two, actor=people.admin)
    third = enrollment.institution.locations[2].id
    activations.request(enrollment, [third], actor=people.member)
    return sync


def _practice_records(sync: Sync, key) -> None:
    """The main office's chart as its Synchronizer uploads it, and two bookings through the
    API that did not reach the practice: one refused there, one never collected."""
    chart = {
        "providers": [{"foreign_id": "D1", "first_name": "Grace", "last_name": "Molar"}],
        "patients": [
            {"foreign_id": f"P{n}", "first_name": name, "last_name": "Rivera"}
            for n, name in enumerate(("Lucia", "Mateo", "Sofia"), 1)
        ],
    }
    for kind, records in chart.items():
        uploads.upload(sync, uploads.Batch(kind, "1", records))
    office = db.session.scalar(
        select(Location).where(Location.sync_id == sync.id, Location.foreign_id == "1")
    )
    provider = db.session.scalar(select(Provider.id).where(Provider.location_id == office.id))
    patients = db.session.scalars(select(Patient.id).where(Patient.location_id == office.id))
    start = (clock.now() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    writes = []
    for hour, patient in enumerate(list(patients)[:2]):
        booking = appointments.Booking(patient, provider, start + timedelta(hours=hour))
        appointment = appointments.book(office, booking, caller=api_access.Caller.of(key))
        writes.append(
            db.session.scalar(
                select(PendingWrite.id).where(PendingWrite.appointment_id == appointment.id)
            )
        )
    refused = pending_writes.Result(
        writes[0], error="The slot was taken at the practice meanwhile."
    )
    pending_writes.report(sync, [refused])
    late = db.session.get(PendingWrite, writes[1])
    late.deadline_at = clock.now()
    commit()
    pending_writes.time_out_due()


def _stale(people: People) -> None:
    _installed(_created(people, "Lakeside Dental Care"), people.admin, ago=180)


def _failed(people: People) -> None:
    enrollment = _created(people, "Summit Smiles")
    sync = _installed(enrollment, people.admin, ehr="opendental", server="SUMMIT-DB")
    agents.report_failure(
        sync, code="db_unreachable", message="Cannot open the Open Dental database"
    )


def _needs_locations(people: People) -> None:
    _installed(_created(people, "Cedar Grove Pediatric Dentistry"), people.admin, offices=2)


def _credentials_rejected(people: People) -> None:
    enrollment = _created(people, "Harbor View Dental Group")
    sync = setup.create_sync(enrollment, ehr="denticon", server_name="", actor=people.admin)
    setup.submit_credentials(
        sync,
        url="https://harborview.denticon.example",
        username="admin",
        password="demo-only",
        actor=people.admin,
    )
    installs.reject_credentials(
        [sync], reason="The admin password was refused; send the current one.", actor=people.staff
    )


def _cloud_install(people: People) -> None:
    enrollment = _created(people, "Bayside Dental")
    sync = setup.create_sync(enrollment, ehr="athena", server_name="", actor=people.admin)
    setup.submit_credentials(
        sync,
        url="https://bayside.athena.example",
        username="admin",
        password="demo-only",
        actor=people.admin,
    )


def _scheduled_install(people: People) -> None:
    enrollment = _created(people, "Pinecrest Orthodontics")
    sync = setup.create_sync(enrollment, ehr="dolphin", server_name="PINE-SRV", actor=people.admin)
    day = (clock.now() + timedelta(days=3)).date()
    starts = [datetime(day.year, day.month, day.day, hour) for hour in (9, 14)]
    setup.propose_windows(sync, starts=starts, timezone="America/New_York", actor=people.admin)


def _deactivated(people: People) -> None:
    enrollment = _created(people, "Old Town Dental")
    _installed(enrollment, people.admin, ehr="eaglesoft", server="OLDTOWN")
    deactivations.deactivate(enrollment, actor=people.admin)


def _second_organization(people: People) -> dict:
    """Brightline Health Apps, upgraded, with two live practices of its own."""
    owner = users.signup(
        organization_name="Brightline Health Apps",
        name="Blake Bright",
        email_address="admin@brightline.example",
        password=people.password,
        welcome=False,
    )
    upgrade(owner, people.staff)
    theirs = People(owner, owner, people.staff, people.password)
    practices = {}
    for name, server in (("Riverside Family Dental", "RIVER"), (MATCHABLE, "MAPLE")):
        enrollment = _created(theirs, name)
        _installed(enrollment, owner, server=server, offices=2)
        ids = [location.id for location in enrollment.institution.locations]
        activations.select_locations(enrollment, ids, actor=owner)
        practices[name] = enrollment.institution
    return practices


def upgrade(admin: User, staff: User) -> None:
    """The organization asks for production and staff approve."""
    request = upgrades.request_upgrade(
        admin.organization,
        legal_name=f"{admin.organization.name} Inc.",
        billing_email=admin.email,
        expected_practices=25,
        actor=admin,
    )
    upgrades.approve([request], actor=staff)


def _third_organization_waits_for_its_upgrade(people: People) -> None:
    admin = users.signup(
        organization_name="Clearwater Apps",
        name="Casey Clear",
        email_address="admin@clearwater.example",
        password=people.password,
        welcome=False,
    )
    upgrades.request_upgrade(
        admin.organization,
        legal_name="Clearwater Apps LLC",
        billing_email="billing@clearwater.example",
        expected_practices=12,
        actor=admin,
    )


IMPORT = (
    "institution_name,street_address,street_address_2,city,state,zip_code,phone_number,email,"
    "website,contact_name,is_group,ehr,server_name\r\n"
    "Northgate Dental,4 North Gate,,Troy,NY,12180,(518) 555-0191,,,,no,eaglesoft,NG-FRONT\r\n"
    "Westfield Smiles,77 West Field Road,,Troy,NY,12180,(518) 555-0192,,,,no,curve2,\r\n"
)


def _imported(people: People) -> None:
    organization = people.admin.organization
    batch = csv_import.upload(organization, "practices.csv", IMPORT.encode(), actor=people.admin)
    applying.apply(batch, actor=people.admin)


def _delivered_and_one_failed_email() -> None:
    # Demo email is not sent anywhere: it shows as delivered on ops' Outbound email page,
    # with one that could not be delivered, as a real queue has.
    now = clock.now()
    rows = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
    for row in rows:
        row.status, row.sent_at, row.attempts = EmailStatus.SENT, now, 1
    if rows:
        bounced = rows[-1]
        bounced.status, bounced.sent_at, bounced.attempts = EmailStatus.FAILED, None, 8
        bounced.last_error = "550 5.1.1 The email account that you tried to reach does not exist"
    commit()
