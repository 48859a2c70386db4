"""Recall types (e.g. a cleaning every six months) and patients' recalls, for reminder apps;
and the appointment descriptors of the health record system."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Institution, Location
from portal.records import AppointmentDescriptor, PatientRecall, RecallType
from portal.services import pagination
from portal.services.records.api_access import Caller, get_record

RECALL_SORTS = ("id", "-id", "date_due", "-date_due", "updated_at", "-updated_at")


@dataclass(frozen=True)
class RecallFilters:
    recall_id: int | None = None
    patient_id: int | None = None
    foreign_id: str | None = None
    updated_since: datetime | None = None
    due_after: date | None = None


def recall_types(
    location: Location, *, foreign_id: str | None, updated_since, per_page: int, **cursors
):
    query = select(RecallType).where(RecallType.location_id == location.id)
    if foreign_id is not None:
        query = query.where(RecallType.foreign_id == foreign_id)
    if updated_since is not None:
        query = query.where(RecallType.updated_at >= updated_since)
    order = pagination.sort_by("id", RecallType, ("id",))
    return pagination.paginate(query, order, per_page, **cursors)


def patient_recalls(
    location: Location, filters: RecallFilters, *, sort: str, per_page: int, **cursors
):
    query = (
        select(PatientRecall)
        .options(selectinload(PatientRecall.recall_type))
        .where(PatientRecall.location_id == location.id)
    )
    for value, column in (
        (filters.recall_id, PatientRecall.recall_type_id),
        (filters.patient_id, PatientRecall.patient_id),
        (filters.foreign_id, PatientRecall.foreign_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.updated_since is not None:
        query = query.where(PatientRecall.updated_at >= filters.updated_since)
    if filters.due_after is not None:
        query = query.where(PatientRecall.date_due > filters.due_after)
    order = pagination.sort_by(sort, PatientRecall, RECALL_SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def get(model, caller: Caller, institution: Institution, row_id: int):
    label = {RecallType: "Recall type", PatientRecall: "Patient recall"}.get(model, "Descriptor")
    return get_record(model, caller, institution, row_id, label)


def descriptors(location_ids, *, descriptor_type: str | None) -> list[AppointmentDescriptor]:
    """The active descriptors of some locations (ids or a subquery of ids)."""
    query = select(AppointmentDescriptor).where(
        AppointmentDescriptor.location_id.in_(location_ids), AppointmentDescriptor.active.is_(True)
    )
    if descriptor_type is not None:
        query = query.where(AppointmentDescriptor.descriptor_type == descriptor_type)
    return list(db.session.scalars(query.order_by(AppointmentDescriptor.id)))
