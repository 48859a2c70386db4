"""Controls of an organization's sandbox: put its practice's records back to their seed, and
make its practice refuse the next appointment booked through the API."""

from sqlalchemy import delete, func, select

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

# Reseeded by a reset, and deleted in this order: each table before the ones it points at.
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
    included) and seed it again as at sign-up, under new ids: no id used before the reset
    names a reseeded record. Audited. Raises Forbidden unless the actor
    manages onboarding, NotFound without a sandbox."""
    require(actor, Permission.MANAGE_ONBOARDING)
    summary = sandbox_summary(organization)
    if summary is None:
        raise NotFound("Your organization has no sandbox practice.")
    location = db.session.get(Location, summary.location_id)
    # Seed first, delete after: every new id is then above every old one. Deleting first
    # would let SQLite (without AUTOINCREMENT) hand the highest deleted ids out again, so an
    # id an integration kept would name a seeded record; PostgreSQL's sequences never would.
    last_ids = _last_ids(location.id)
    seed_records(location, seed=summary.subdomain, today=clock.now().date())
    db.session.flush()  # the new rows take their ids now, while the old rows still hold theirs
    _delete_records(location.id, last_ids)
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


def _last_ids(location_id: int) -> dict:
    """The highest id of each record table at the location (0 for none), before the seed."""
    return {
        model: db.session.scalar(
            select(func.coalesce(func.max(model.id), 0)).where(model.location_id == location_id)
        )
        for model in RECORDS
    }


def _delete_records(location_id: int, last_ids: dict) -> None:
    """Delete the location's records up to `last_ids`: what was there before the seed."""

    def old(model):
        return (model.location_id == location_id) & (model.id <= last_ids[model])

    hours = select(WorkingHour.id).where(old(WorkingHour))
    types = select(AppointmentType.id).where(old(AppointmentType))
    db.session.execute(
        delete(working_hour_types).where(working_hour_types.c.working_hour_id.in_(hours))
    )
    db.session.execute(
        delete(type_descriptors).where(type_descriptors.c.appointment_type_id.in_(types))
    )
    for model in RECORDS:
        db.session.execute(
            delete(model).where(old(model)), execution_options={"synchronize_session": False}
        )
    db.session.expire_all()
