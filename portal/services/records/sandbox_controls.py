"""Controls of an organization's sandbox: put its practice's records back to their seed, and
make its practice refuse the next appointment booked through the API."""

from sqlalchemy import delete, select

from portal import clock
from portal.extensions import db
from portal.models import Institution, Location, Organization, User
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
    type_descriptors,
    working_hour_types,
)
from portal.services import NotFound, audit, commit
from portal.services.accounts.roles import Permission, require
from portal.services.dashboards import sandbox_summary
from portal.services.records.sandbox import seed_records

# Deleted in this order: each table before the ones it points at.
RECORDS = [
    PatientRecall,
    Appointment,
    WorkingHour,
    Patient,
    WorkingHourLabel,
    RecallType,
    AppointmentDescriptor,
    AppointmentType,
    Operatory,
    Provider,
]


def reset(organization: Organization, *, actor: User) -> Location:
    """Delete every record of the organization's sandbox practice (what API calls wrote
    included) and seed it again as at sign-up. Audited. Raises Forbidden unless the actor
    manages onboarding, NotFound without a sandbox."""
    require(actor, Permission.MANAGE_ONBOARDING)
    summary = sandbox_summary(organization)
    if summary is None:
        raise NotFound("Your organization has no sandbox practice.")
    location = db.session.get(Location, summary.location_id)
    _delete_records(location.id)
    seed_records(location, seed=summary.subdomain, today=clock.now().date())
    audit.record("sandbox.reset", actor=actor, organization=organization, target=location)
    commit()
    return location


def fail_next_booking(organization: Organization, *, on: bool, actor: User) -> Institution:
    """Arm (on) or disarm a refusal of the next appointment booked through the API in the
    sandbox practice: that booking is answered as accepted, then cancelled, and
    `appointment_insertion.failed` is sent instead of `.complete`; the one after it books
    as usual. Audited. Raises Forbidden unless the actor manages onboarding, NotFound
    without a sandbox."""
    require(actor, Permission.MANAGE_ONBOARDING)
    summary = sandbox_summary(organization)
    if summary is None:
        raise NotFound("Your organization has no sandbox practice.")
    institution = db.session.get(Institution, summary.institution_id)
    institution.fail_next_booking = bool(on)
    audit.record(
        "sandbox.fail_next_booking",
        actor=actor,
        organization=organization,
        target=institution,
        on=bool(on),
    )
    commit()
    return institution


def _delete_records(location_id: int) -> None:
    hours = select(WorkingHour.id).where(WorkingHour.location_id == location_id)
    types = select(AppointmentType.id).where(AppointmentType.location_id == location_id)
    db.session.execute(
        delete(working_hour_types).where(working_hour_types.c.working_hour_id.in_(hours))
    )
    db.session.execute(
        delete(type_descriptors).where(type_descriptors.c.appointment_type_id.in_(types))
    )
    for model in RECORDS:
        db.session.execute(
            delete(model).where(model.location_id == location_id),
            execution_options={"synchronize_session": False},
        )
    db.session.expire_all()
