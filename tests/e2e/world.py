"""A populated world for walking every page: one organization with an institution in every
status of the lifecycle, a second one asking for its practice, staff queues with rows, an
import, invitations, keys, and the one-time links that the emails carry."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    ApiRequest,
    Enrollment,
    EnrollmentStatus,
    Location,
    Mode,
    OutboundEmail,
    PendingWrite,
    Role,
    Sync,
    SyncStage,
    WriteKind,
    WriteStatus,
)
from portal.services import commit
from portal.services.accounts import (
    api_keys,
    invitations,
    practice_sessions,
    two_factor,
    upgrades,
    users,
)
from portal.services.imports import applying, csv_import
from portal.services.onboarding import activations, consent, deactivations
from portal.services.syncs import lifecycle, setup
from tests.conftest import PASSWORD, signup
from tests.e2e import world_sandbox, world_webhooks
from tests.onboarding import ADDRESS, enrollment_in, institution, sync_in, upgraded

ADMIN, MEMBER, STAFF = "alice@alpha.example", "max@alpha.example", "olive@ops.example"
NEWCOMER = "dana@delta.example"  # an admin still in test mode, before the upgrade
PRACTICE_EMAIL = "desk@shared.example"
# What a developer types to create Echo Smiles, another developer's live practice (a match).
MATCHING_PRACTICE = {
    "Institution name": "Echo Smiles",
    "Street address": ADDRESS["street_address"],
    "City": ADDRESS["city"],
    "ZIP code": ADDRESS["zip_code"],
    "Phone": ADDRESS["phone_number"],
}

CSV_HEADER = (
    "institution_name,street_address,street_address_2,city,state,zip_code,phone_number,"
    "email,website,contact_name,is_group,ehr,server_name\n"
)
GOOD_CSV = CSV_HEADER + (
    "Hudson Family Dental,12 River Road,,Albany,NY,12207,(518) 555-0199,,,,no,dentrix,FRONTDESK\n"
    "Bright Kids Orthodontics,9 Elm Street,,Troy,NY,12180,(518) 555-0142,,,,no,athena,\n"
)
BAD_CSV = CSV_HEADER + "Nameless,,,Albany,NY,12207,,,,,maybe,unknown,\n"


@dataclass
class World:
    """Ids and one-time links that the page walk fills URL arguments with."""

    ids: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    slug: str = ""  # the admin's organization


def build() -> World:
    alice = upgraded("Alpha Apps", ADMIN, "Alice Admin")
    world = World(slug=alice.organization.slug)
    member = users.add_member(alice.organization, MEMBER, "Max Member", PASSWORD)
    users.create_staff(STAFF, PASSWORD, name="Olive Ops")
    world.ids["user_id"] = member.id
    _lifecycle(world, alice)
    _shared_practice(world, alice)
    _other_developers(world, alice)
    _keys_and_people(world, alice)
    _imports(world, alice)
    world.ids["api_request"] = _logged_call(alice)
    world_webhooks.populate(world, alice)
    world_sandbox.populate(alice)
    _refused_write(alice)
    world.links["practice_sign_in"] = _practice_sign_in()
    two_factor.begin(signup("Delta Apps", NEWCOMER, "Dana Newcomer"))
    return world


def _refused_write(alice) -> None:
    """A booking a practice refused: the staff list of writes and its details have a row."""
    location = db.session.scalars(
        select(Location)
        .join(Sync, Sync.institution_id == Location.institution_id)
        .where(Sync.created_by_org_id == alice.organization_id)
        .order_by(Location.id)
    ).first()
    sync = db.session.scalars(
        select(Sync).where(Sync.institution_id == location.institution_id).order_by(Sync.id)
    ).first()
    db.session.add(
        PendingWrite(
            sync_id=sync.id,
            location_id=location.id,
            organization_id=alice.organization_id,
            kind=WriteKind.APPOINTMENT_CREATE,
            status=WriteStatus.FAILED,
            reason="The slot was taken at the practice meanwhile.",
            deadline_at=clock.now(),
        )
    )
    commit()


def _lifecycle(world: World, alice) -> None:
    """One institution per status; each install method at the step where it waits."""
    institution(alice, "Needs Sync Dental", phone_number="(518) 555-0101")
    _waiting_syncs(world, alice)
    failed = enrollment_in(alice, EnrollmentStatus.FAILED, "Failed Install Dental")
    failed.status_reason = "The Synchronizer could not reach the database."
    sync = sync_in(failed, "opendental", SyncStage.FAILED)
    sync.failure_reason = "The Synchronizer could not reach the database."
    commit()
    choosing = enrollment_in(alice, EnrollmentStatus.NEEDS_LOCATIONS, "Choosing Dental")
    sync_in(choosing, "eaglesoft", SyncStage.ACTIVE)
    _offices(choosing.institution, 2)
    world.ids["needs_locations"] = choosing.id


def _waiting_syncs(world: World, alice) -> None:
    """Syncs waiting for credentials, for windows, for staff to confirm one, for the agent."""

    def new_sync(name: str, phone: str, ehr: str, server: str = ""):
        enrollment = institution(alice, name, phone_number=phone)
        return setup.create_sync(enrollment, ehr=ehr, server_name=server, actor=alice)

    world.ids["cloud_sync"] = new_sync("Cloud Credentials Dental", "(518) 555-0102", "athena").id
    scheduled = new_sync("Scheduled Install Dental", "(518) 555-0103", "dentrix_enterprise", "SRV")
    world.ids["scheduled_sync"] = scheduled.id
    windowed = new_sync("Windowed Install Dental", "(518) 555-0104", "dolphin", "ORTHO")
    soon = clock.now().replace(tzinfo=None) + timedelta(days=3)
    setup.propose_windows(
        windowed, starts=[soon, soon + timedelta(days=1)], timezone="America/New_York", actor=alice
    )
    world.ids["windowed_sync"] = windowed.id
    installing = new_sync("Installing Dental", "(518) 555-0105", "dentrix", "FRONT")
    world.ids["installer_sync"] = installing.id
    world.ids["enrollment_id"] = lifecycle.enrollment_of(installing).id


def _shared_practice(world: World, alice) -> None:
    """Alice's live practice (four offices: two active, one requested, one free) and one she
    left (deactivated)."""
    live = enrollment_in(alice, EnrollmentStatus.NEEDS_LOCATIONS, "Shared Smiles")
    live.institution.email = PRACTICE_EMAIL
    sync = sync_in(live, "dentrix", SyncStage.ACTIVE)
    sync.last_read_at = sync.last_write_at = clock.now() - timedelta(minutes=5)
    offices = _offices(live.institution, 4)
    activations.select_locations(live, [offices[0].id, offices[1].id], actor=alice)
    activations.request(live, [offices[2].id], actor=alice)
    world.ids["live"] = live.id
    gone = enrollment_in(alice, EnrollmentStatus.NEEDS_LOCATIONS, "Closed Smiles")
    sync_in(gone, "dentrix", SyncStage.ACTIVE)
    activations.select_locations(gone, [_offices(gone.institution, 1)[0].id], actor=alice)
    deactivations.deactivate(gone, actor=alice)


def _other_developers(world: World, alice) -> None:
    """Bob asks Alice's practice for access and runs two live practices (one Alice asks
    for, one she will match); Carol waits for her upgrade."""
    bob = upgraded("Bravo Apps", "bob@bravo.example", "Bob")
    shared = db.session.get(Enrollment, world.ids["live"]).institution
    consent.request_access(shared, actor=bob)
    world.links["access_request"] = _link(PRACTICE_EMAIL, "/practice/requests/")
    other = enrollment_in(bob, EnrollmentStatus.LIVE, "Bravo Smiles")
    other.institution.email = "desk@bravo-smiles.example"
    sync_in(other, "opendental", SyncStage.ACTIVE)
    _offices(other.institution, 1)
    world.ids["awaiting"] = consent.request_access(other.institution, actor=alice).id
    matched = enrollment_in(bob, EnrollmentStatus.LIVE, "Echo Smiles")
    sync_in(matched, "dentrix", SyncStage.ACTIVE)
    carol = signup("Charlie Apps", "carol@charlie.example")
    upgrades.request_upgrade(
        carol.organization,
        legal_name="Charlie Apps LLC",
        billing_email="billing@charlie.example",
        expected_practices=12,
        actor=carol,
    )


def _keys_and_people(world: World, alice) -> None:
    org = alice.organization
    api_keys.create(org, Mode.SANDBOX, actor=alice)
    first = api_keys.create(org, Mode.PRODUCTION, actor=alice)
    api_keys.rotate(api_keys.get_for(org, first.key.id), actor=alice, grace="24h")
    invited = invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=alice)
    world.ids["invitation_id"] = invited.id
    world.links["invitation"] = _link("new@alpha.example", "/invitations/")
    users.request_password_reset(ADMIN)
    world.links["password_reset"] = _link(ADMIN, "/reset-password/")


def _imports(world: World, alice) -> None:
    org = alice.organization
    world.ids["bad_batch"] = csv_import.upload(org, "broken.csv", BAD_CSV.encode(), actor=alice).id
    applied = csv_import.upload(org, "practices.csv", GOOD_CSV.encode(), actor=alice)
    applying.apply(applied, actor=alice)
    world.ids["batch_id"] = applied.id
    again = GOOD_CSV.replace("Hudson", "Mohawk").encode()
    world.ids["preview_batch"] = csv_import.upload(org, "again.csv", again, actor=alice).id


def _logged_call(alice) -> int:
    """A refused production call in Alice's request log (as the API's writer stores one)."""
    call = ApiRequest(
        organization_id=alice.organization_id,
        mode=Mode.PRODUCTION,
        key_prefix="sp_live_ab12",
        method="GET",
        path="/api/patients",
        query="subdomain=shared-smiles&name=%E2%80%A6",
        status=400,
        duration_ms=12.5,
        subdomain="shared-smiles",
        request_id="0f" * 16,
        error="location_id is required.",
    )
    db.session.add(call)
    commit()
    return call.id


def _practice_sign_in() -> str:
    practice_sessions.send_links(PRACTICE_EMAIL)
    return _link(PRACTICE_EMAIL, "/practice/sign-in/")


def _offices(institution_row, count: int) -> list[Location]:
    start = len(institution_row.locations)
    offices = [
        Location(
            institution=institution_row,
            foreign_id=str(start + i),
            name=f"{institution_row.name} Office {start + i}",
            city="Albany",
            state="NY",
        )
        for i in range(1, count + 1)
    ]
    db.session.add_all(offices)
    db.session.commit()
    return offices


def _link(recipient: str, path: str) -> str:
    """The path of the newest one-time link emailed to `recipient` (from the outbox row)."""
    body = db.session.scalars(
        select(OutboundEmail.body_text)
        .where(OutboundEmail.recipient == recipient)
        .order_by(OutboundEmail.id.desc())
    ).first()
    return re.search(re.escape(path) + r"\S+", body).group(0)
