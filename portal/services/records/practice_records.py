"""Providers, operatories and appointment types of the caller's locations, for the API."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.models import Institution, Location
from portal.records import AppointmentType, Operatory, Provider
from portal.services import pagination
from portal.services.records.api_access import Caller, get_record, reachable_location_ids

PROVIDER_SORTS = ("id", "-id", "updated_at", "-updated_at")
OPERATORY_SORTS = ("id", "-id", "updated_at", "-updated_at")


def _in_scope(model, caller: Caller, institution: Institution, location: Location | None):
    if location is not None:
        return model.location_id == location.id
    return model.location_id.in_(reachable_location_ids(caller, institution))


@dataclass(frozen=True)
class Filters:
    """What the lists of providers and operatories may be narrowed to."""

    ids: list[int] = field(default_factory=list)
    foreign_id: str | None = None
    updated_since: datetime | None = None


def _filtered(query, model, filters: Filters):
    if filters.ids:
        query = query.where(model.id.in_(filters.ids))
    if filters.foreign_id is not None:
        query = query.where(model.foreign_id == filters.foreign_id)
    if filters.updated_since is not None:
        query = query.where(model.updated_at >= filters.updated_since)
    return query


def providers(
    caller: Caller,
    institution: Institution,
    location: Location | None,
    filters: Filters,
    *,
    inactive: bool,
    sort: str,
    per_page: int,
    **cursors,
):
    """A page of providers of `location`, or of every reachable location of `institution`."""
    query = select(Provider).where(
        _in_scope(Provider, caller, institution, location), Provider.inactive.is_(inactive)
    )
    query = _filtered(query, Provider, filters)
    order = pagination.sort_by(sort, Provider, PROVIDER_SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def operatories(
    location: Location, filters: Filters, *, name: str | None, sort: str, per_page: int, **cursors
):
    """A page of the location's operatories, those whose name contains `name` when given."""
    query = _filtered(
        select(Operatory).where(Operatory.location_id == location.id), Operatory, filters
    )
    if name:
        query = query.where(Operatory.name.icontains(name.strip(), autoescape=True))
    order = pagination.sort_by(sort, Operatory, OPERATORY_SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def appointment_types(
    caller: Caller, institution: Institution, location: Location | None, *, per_page: int, **cursors
):
    """A page of the appointment types of `location`, or of every reachable location."""
    query = (
        select(AppointmentType)
        .options(selectinload(AppointmentType.descriptors))
        .where(_in_scope(AppointmentType, caller, institution, location))
    )
    order = pagination.sort_by("id", AppointmentType, ("id",))
    return pagination.paginate(query, order, per_page, **cursors)


def get(model, caller: Caller, institution: Institution, row_id: int, location=None):
    """One provider, operatory or appointment type of a reachable location. Raises NotFound."""
    label = {Provider: "Provider", Operatory: "Operatory"}.get(model, "Appointment type")
    where = [model.location_id == location.id] if location is not None else []
    return get_record(model, caller, institution, row_id, label, *where)
