"""Providers, operatories and appointment types of the caller's locations, for the API."""

from sqlalchemy import select

from portal.extensions import db
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


def providers(
    caller: Caller,
    institution: Institution,
    location: Location | None,
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
    order = pagination.sort_by(sort, Provider, PROVIDER_SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def operatories(location: Location, *, name: str | None, sort: str, per_page: int, **cursors):
    """A page of the location's operatories, those whose name contains `name` when given."""
    query = select(Operatory).where(Operatory.location_id == location.id)
    if name:
        query = query.where(Operatory.name.icontains(name.strip(), autoescape=True))
    order = pagination.sort_by(sort, Operatory, OPERATORY_SORTS)
    return pagination.paginate(query, order, per_page, **cursors)


def appointment_types(
    caller: Caller, institution: Institution, location: Location | None
) -> list[AppointmentType]:
    return db.session.scalars(
        select(AppointmentType)
        .where(_in_scope(AppointmentType, caller, institution, location))
        .order_by(AppointmentType.id)
    ).all()


def get(model, caller: Caller, institution: Institution, row_id: int, location=None):
    """One provider, operatory or appointment type of a reachable location. Raises NotFound."""
    label = {Provider: "Provider", Operatory: "Operatory"}.get(model, "Appointment type")
    where = [model.location_id == location.id] if location is not None else []
    return get_record(model, caller, institution, row_id, label, *where)
