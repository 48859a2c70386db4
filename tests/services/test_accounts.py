from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    Location,
    Mode,
    OutboundEmail,
    User,
)
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider
from portal.services import Conflict, PortalError
from portal.services.accounts import users
from portal.services.records import sandbox
from tests.conftest import PASSWORD, signup


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_signup_creates_the_organization_its_admin_and_a_seeded_demo_practice():
    user = users.signup(
        organization_name="Bright Smiles API",
        name="Bo",
        password=PASSWORD,
        email_address="Bo@Bright.example",
    )
    assert user.is_admin and user.email == "bo@bright.example"
    assert user.organization.name == "Bright Smiles API"
    enrollment = db.session.scalars(select(Enrollment)).one()
    assert enrollment.institution.name == "Bright Smiles API Demo Practice"
    assert (enrollment.mode, enrollment.status) == (Mode.SANDBOX, EnrollmentStatus.LIVE)
    location = db.session.scalars(select(Location)).one()
    assert count(Provider, Provider.location_id == location.id) >= 3
    assert count(Operatory, Operatory.location_id == location.id) >= 3
    assert count(AppointmentType, AppointmentType.location_id == location.id) >= 3
    assert count(Patient, Patient.location_id == location.id) >= 25
    assert count(Appointment, Appointment.location_id == location.id) >= 40
    assert count(AuditEvent, AuditEvent.action == "organization.signup") == 1
    assert count(OutboundEmail, OutboundEmail.recipient == "bo@bright.example") == 1


def test_demo_appointments_fall_in_the_weeks_around_today():
    signup("Timely", "t@timely.example")
    starts = db.session.scalars(select(Appointment.start_time)).all()
    today = clock.now()
    assert all(abs(start - today) <= timedelta(weeks=4) for start in starts)
    assert any(start < today for start in starts) and any(start > today for start in starts)


def test_seeded_records_are_deterministic_for_a_seed_and_day():
    def snapshot(location):
        sandbox.seed_records(location, seed="same-seed", today=clock.now().date())
        rows = db.session.execute(
            select(Patient.first_name, Patient.last_name, Patient.date_of_birth)
            .where(Patient.location_id == location.id)
            .order_by(Patient.id)
        ).all()
        return [tuple(row) for row in rows]

    user = signup("Seeds", "s@seeds.example")
    institution = db.session.scalars(select(Enrollment)).one().institution
    first = Location(institution=institution, foreign_id="a", name="A")
    second = Location(institution=institution, foreign_id="b", name="B")
    db.session.add_all([first, second])
    db.session.flush()
    assert snapshot(first) == snapshot(second)
    assert user.organization_id


def test_signup_refuses_an_email_that_already_has_an_account():
    signup("One", "dup@one.example")
    with pytest.raises(Conflict):
        signup("Two", "DUP@one.example")
    assert count(User) == 1


def test_wrong_password_is_refused_with_a_generic_message():
    signup("One", "a@one.example")
    with pytest.raises(users.InvalidCredentials, match="Email or password is incorrect"):
        users.authenticate("a@one.example", "wrong password!", address="10.0.0.1")
    with pytest.raises(users.InvalidCredentials):
        users.authenticate("nobody@one.example", PASSWORD, address="10.0.0.1")


def test_password_reset_link_works_once_and_ends_existing_sessions(mailbox):
    user = signup("One", "a@one.example")
    version = user.session_version
    users.request_password_reset("a@one.example")
    (body,) = mailbox.bodies_to("a@one.example")
    token = body.split("/reset-password/")[1].split()[0]
    users.reset_password(token, "a brand new password")
    assert users.authenticate("a@one.example", "a brand new password", address=None)
    assert user.session_version == version + 1
    with pytest.raises(PortalError, match="no longer valid"):
        users.reset_password(token, "yet another password")


def test_password_reset_link_expires(mailbox):
    signup("One", "a@one.example")
    users.request_password_reset("a@one.example")
    token = mailbox.bodies_to("a@one.example")[0].split("/reset-password/")[1].split()[0]
    with clock.travel(timedelta(minutes=61)), pytest.raises(PortalError, match="no longer valid"):
        users.reset_password(token, "a brand new password")


def test_reset_request_for_an_unknown_email_sends_nothing():
    users.request_password_reset("ghost@nowhere.example")
    assert count(OutboundEmail) == 0
