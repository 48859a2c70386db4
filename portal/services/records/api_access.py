"""What an API caller may reach, as named queries over its organization and key mode.

A key reaches the institutions where its organization has a live enrollment of the key's
mode (the sandbox practice is one), and in them only the locations with an active grant.
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.models import (
    ApiKey,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    Location,
    LocationGrant,
    Mode,
    Organization,
)
from portal.services import Forbidden, NotFound, PortalError, tenancy
from portal.services.audit import record

INT_MAX = 2**31 - 1  # ids are 32-bit in the API, as in the reference


class InvalidCredentials(PortalError):
    status_code = 401


class InvalidField(PortalError):
    """A missing or wrong parameter or body field; the message starts with its name."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field} {problem}")
        self.field = field


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: its key's plain values (every request reads them, and loading
    the key as an object cost more than the query)."""

    key_id: int
    organization_id: int
    mode: Mode
    key_prefix: str
    key_last_four: str

    @classmethod
    def of(cls, key: ApiKey) -> "Caller":
        """From an ApiKey, or a row of its columns of the same names."""
        return cls(key.id, key.organization_id, key.mode, key.prefix, key.last_four)

    @property
    def organization(self) -> Organization:
        return db.session.get(Organization, self.organization_id)


def audit(caller: Caller, action: str, target, **details) -> None:
    """An audit row for a write made through the API: no user acts, the key's organization
    does, and the key is named by its visible ends (prefix...last four)."""
    record(
        action,
        actor=None,
        organization=caller.organization,
        target=target,
        api_key=f"{caller.key_prefix}\u2026{caller.key_last_four}",
        **details,
    )


def _live_enrollments(organization_id, mode):
    return select(Enrollment.id).where(
        Enrollment.organization_id == organization_id,
        Enrollment.mode == mode,
        Enrollment.status == EnrollmentStatus.LIVE,
    )


def _institution_ids(organization_id, mode):
    return (
        select(Enrollment.institution_id)
        .join(Institution, Institution.id == Enrollment.institution_id)
        .where(
            Enrollment.id.in_(_live_enrollments(organization_id, mode)), Institution.mode == mode
        )
    )


def _location_ids(organization_id, mode):
    return (
        select(LocationGrant.location_id)
        .join(Location, Location.id == LocationGrant.location_id)
        .where(
            LocationGrant.enrollment_id.in_(_live_enrollments(organization_id, mode)),
            LocationGrant.status == GrantStatus.ACTIVE,
            Location.institution_id.in_(_institution_ids(organization_id, mode)),
        )
    )


def reachable_institution_ids(caller: Caller):
    """Institution ids the caller may reach (a subquery)."""
    return _institution_ids(caller.organization_id, caller.mode)


def reachable_location_ids(caller: Caller, institution: Institution | None = None):
    """Location ids the caller may reach, in `institution` when given (a subquery)."""
    query = _location_ids(caller.organization_id, caller.mode)
    if institution is not None:
        query = query.where(Location.institution_id == institution.id)
    return query


def institutions(caller: Caller, subdomain: str | None = None) -> list[Institution]:
    """The reachable institutions by id; only the one for `subdomain` when given (403 if not)."""
    if subdomain is not None:
        return [institution(caller, subdomain)]
    return db.session.scalars(
        select(Institution)
        .where(Institution.id.in_(reachable_institution_ids(caller)))
        .order_by(Institution.id)
    ).all()


def institution(caller: Caller, subdomain: str) -> Institution:
    """The institution for `subdomain`. Raises Forbidden when it is not the caller's to reach,
    whether or not it exists, so that the answer says nothing about other organizations."""
    found = db.session.scalar(
        select(Institution).where(
            Institution.subdomain == subdomain,
            Institution.id.in_(reachable_institution_ids(caller)),
        )
    )
    if found is None:
        raise Forbidden("You do not have access to this institution.")
    return found


def place(caller: Caller, subdomain: str, location_id: int) -> Location:
    """The reachable location `location_id` of the institution `subdomain`, both read in one
    query (the hot path of every location-scoped list). Raises Forbidden as `institution`
    does, then NotFound as `location` does."""
    found = db.session.execute(
        _place_query(),
        {
            "organization_id": caller.organization_id,
            "mode": caller.mode,
            "subdomain": subdomain,
            "location_id": location_id,
        },
    ).first()
    if found is None:
        raise Forbidden("You do not have access to this institution.")
    if found.Location is None or not 0 < location_id <= INT_MAX:
        raise NotFound("Location not found in this institution.")
    # Keep the institution on the location: read already, and held only weakly otherwise.
    set_committed_value(found.Location, "institution", found.Institution)
    return found.Location


@dataclass(frozen=True)
class Place:
    """A reachable location as plain values, for reads that need nothing else of it."""

    id: int
    institution_id: int
    mode: Mode


def place_values(caller: Caller, subdomain: str, location_id: int) -> Place:
    """`place`, without loading the location and its institution as objects (the busiest
    lists only need their ids and the mode). Raises as `place` does."""
    found = (
        db.session.connection()
        .execute(
            _place_values_query(),
            {
                "organization_id": caller.organization_id,
                "mode": caller.mode,
                "subdomain": subdomain,
                "location_id": location_id,
            },
        )
        .first()
    )
    if found is None:
        raise Forbidden("You do not have access to this institution.")
    if found.location_id is None or not 0 < location_id <= INT_MAX:
        raise NotFound("Location not found in this institution.")
    return Place(found.location_id, found.institution_id, found.mode)


def reach(caller: Caller, subdomain: str, token_claims: dict) -> dict:
    """The values `reachable_by_key` is bound to: the caller (the one the token names, or
    its key as read), the token's claims and `subdomain`; the location's id is the
    statement's own `location_id`."""
    from portal.services.accounts import api_tokens

    return {**api_tokens.usable_key_values(token_claims, caller), "subdomain": subdomain}


@cache
def reachable_by_key():
    """`caller_for`'s check of the key and `place_values`' check of the location as one
    condition, for a statement that reads a location's rows: true while the token's key
    works (`api_tokens.usable_key`) and its organization reaches location `location_id`.
    The key, the access and the rows then cost one round trip. A statement that finds no
    row cannot tell why: its caller asks `caller_for` and `place_values` then, which raise
    as they should (or confirm that the list is empty)."""
    from portal.services.accounts import api_tokens

    place = _place_query().with_only_columns(Location.id).where(Location.id.is_not(None))
    return and_(api_tokens.usable_key().exists(), place.exists())


@cache
def _place_values_query():
    return _place_query().with_only_columns(
        Location.id.label("location_id"), Institution.id.label("institution_id"), Institution.mode
    )


@cache
def _place_query():
    # Built once with parameters: building and hashing this statement per request cost more
    # than running it. Flat joins rather than the nested subqueries of `reachable_*_ids`
    # (the same rule): PostgreSQL plans it in a fraction of the time. The joins start from
    # the institution whichever columns are kept (`reachable_by_key` keeps the location's).
    organization_id, mode = bindparam("organization_id"), bindparam("mode")
    granting = aliased(Enrollment)
    granted = (
        select(LocationGrant.id)
        .join(granting, granting.id == LocationGrant.enrollment_id)
        .where(
            LocationGrant.location_id == Location.id,
            LocationGrant.status == GrantStatus.ACTIVE,
            granting.organization_id == organization_id,
            granting.mode == mode,
            granting.status == EnrollmentStatus.LIVE,
        )
    )
    return (
        select(Institution, Location)
        .select_from(Institution)
        .join(
            Enrollment,
            and_(  # at most one: an organization enrolls once in an institution
                Enrollment.institution_id == Institution.id,
                Enrollment.organization_id == organization_id,
                Enrollment.mode == mode,
                Enrollment.status == EnrollmentStatus.LIVE,
            ),
        )
        .outerjoin(
            Location,
            and_(
                Location.id == bindparam("location_id"),
                Location.institution_id == Institution.id,
                granted.exists(),
            ),
        )
        .where(Institution.subdomain == bindparam("subdomain"), Institution.mode == mode)
    )


def institution_by_id(caller: Caller, institution_id: int) -> Institution:
    found = _reachable(Institution, institution_id, reachable_institution_ids(caller))
    if found is None:
        raise NotFound("Institution not found.")
    return found


def locations(caller: Caller, institution: Institution) -> list[Location]:
    return db.session.scalars(
        select(Location)
        .where(Location.id.in_(reachable_location_ids(caller, institution)))
        .order_by(Location.id)
    ).all()


def location(caller: Caller, institution: Institution, location_id: int) -> Location:
    """A reachable location of `institution`. Raises NotFound otherwise."""
    found = _reachable(Location, location_id, reachable_location_ids(caller, institution))
    if found is None:
        raise NotFound("Location not found in this institution.")
    return found


def location_if_given(
    caller: Caller, institution: Institution, location_id: int | None
) -> Location | None:
    """`location` when a list is narrowed to one location; None when it is not."""
    return None if location_id is None else location(caller, institution, location_id)


def location_by_id(caller: Caller, location_id: int) -> Location:
    found = _reachable(Location, location_id, reachable_location_ids(caller))
    if found is None:
        raise NotFound("Location not found.")
    return found


def get_record(model, caller: Caller, institution: Institution, row_id: int, label: str, *where):
    """One health record (patient, appointment, provider, ...) of a location the caller
    reaches in `institution`, narrowed by `where`. Raises NotFound naming `label`."""
    found = None
    if 0 < row_id <= INT_MAX:
        reachable = model.location_id.in_(reachable_location_ids(caller, institution))
        found = db.session.scalar(select(model).where(model.id == row_id, reachable, *where))
        if found is None:
            tenancy.probe_audited(model, [row_id])
    if found is None:
        raise NotFound(f"{label} not found.")
    return found


def locations_by_id(ids) -> dict[int, Location]:
    """Locations by id, read in one query (for the records of a page)."""
    if not ids:
        return {}
    found = db.session.scalars(select(Location).where(Location.id.in_(list(ids))))
    return {location.id: location for location in found}


def location_of(record) -> Location:
    """The location of a health record (patient, appointment, provider, ...)."""
    return db.session.get(Location, record.location_id)


def _reachable(model, row_id: int, reachable_ids):
    if not 0 < row_id <= INT_MAX:
        return None
    found = db.session.scalar(select(model).where(model.id == row_id, model.id.in_(reachable_ids)))
    if found is None:
        tenancy.probe_audited(model, [row_id])
    return found
