"""The plan of a CSV import: each row new, an additional sync, a match (access will be
requested), already onboarded or already requested, or an error; rows of one institution
grouped. `classify` looks the groups up against the database in a few queries."""

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from portal import readable
from portal.models import Enrollment, EnrollmentStatus, Institution, Organization
from portal.services.imports.csv_files import CellError
from portal.services.onboarding import access, enrollments, institutions, matching


class Kind(StrEnum):
    NEW = "new institution"
    ADDITIONAL_SYNC = "additional sync"
    MATCH = "match: request access"
    EXISTING = "already onboarded"
    REQUESTED = "access already requested"
    ERROR = "error"


NOTHING_NEW = frozenset({Kind.EXISTING, Kind.REQUESTED})
# Practices per lookup: each statement's overhead is paid per chunk, its keys' index reads
# per key, so a big file is looked up in few statements.
LOOKUP_CHUNK = 1_000


@dataclass
class Planned:
    line: int
    kind: Kind
    name: str
    ehr: str = ""
    server_name: str = ""
    errors: list[CellError] = field(default_factory=list)
    note: str = ""


@dataclass
class Group:
    details: institutions.Details
    rows: list[tuple[Planned, str, str]] = field(default_factory=list)  # (row, ehr, server)
    enrollment: Enrollment | None = None
    match: Institution | None = None

    @cached_property
    def practice(self) -> matching.Practice:
        """What the group is matched by, its normalised keys worked out once."""
        details = self.details
        return matching.Practice(
            details.name, details.street_address, details.zip_code, details.phone_number
        )


@dataclass
class Plan:
    rows: list[Planned]
    groups: list[Group]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.kind for row in self.rows)
        return {kind.value: counted.get(kind, 0) for kind in Kind}

    @property
    def errors(self) -> list[CellError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def nothing_new(self) -> bool:
        return all(row.kind in NOTHING_NEW for row in self.rows)


def classify(organization: Organization, groups: list[Group]) -> None:
    """Mark each group's rows: existing enrollment, match, or new (a few queries in all)."""
    keys = [_own_key(group.practice) for group in groups]
    owned = matching.own_enrollments(organization, set(keys), LOOKUP_CHUNK)
    for group, key in zip(groups, keys, strict=True):
        group.enrollment = owned.get(key)
    unowned = [group for group in groups if group.enrollment is None]
    practices = [group.practice for group in unowned]
    both = matching.find_both(organization, practices, LOOKUP_CHUNK)
    found = list(zip(unowned, both, strict=True))
    yours = institutions.yours_each(organization, [mine for _, (_, mine) in found if mine])
    for group, (match, mine) in found:
        # One of the organization's own comes first, as on the form: a practice matched (by
        # phone, say) on an earlier upload is enrolled now, so the same row plans nothing
        # new (access already requested, or already onboarded); a live practice that only
        # shares its building is not asked.
        if mine is not None:
            group.enrollment = yours.get(mine.id)
        else:
            group.match = match
    latest = access.latest_requests([group.enrollment for group in groups if group.enrollment])
    for group in groups:
        institution = group.enrollment.institution if group.enrollment else None
        existing = {
            (s.ehr, s.server_name.lower()) for s in (institution.syncs if institution else [])
        }
        asks_again = group.enrollment is not None and access.request_cancelled(
            group.enrollment, latest=latest
        )
        paused = asks_again and access.pause(organization.id, institution.id, institution.name)
        if asks_again and not paused:
            # The request was cancelled, so nothing is pending: ask again, as for a match.
            group.match = institution
        for index, (item, ehr, server) in enumerate(group.rows):
            if paused:
                item.kind = Kind.REQUESTED
                item.note = (
                    f"{paused.reason} It can be asked again from {readable.when(paused.until)};"
                    " nothing imported."
                )
            elif asks_again:
                item.kind = Kind.MATCH
                item.note = (
                    f"{institution.name}: the access request was cancelled; "
                    "access will be requested again."
                )
            elif group.enrollment is not None and not access.has_access(
                group.enrollment, latest=latest
            ):
                # Waiting for (or refused) the practice's consent: no sync until it grants.
                item.kind = Kind.REQUESTED
                item.note = _without_access(group.enrollment)
            elif group.match is not None:
                item.kind = Kind.MATCH
                item.note = f"{group.match.name} is live already: access will be requested."
            elif (ehr, server.lower()) in existing:
                item.kind = Kind.EXISTING
                item.note = _joins(group, institution)
            elif institution is not None or index > 0:
                item.kind = Kind.ADDITIONAL_SYNC
                item.note = _joins(group, institution)


def _joins(group: Group, institution: Institution | None) -> str:
    """Which of the organization's institutions a row is added to, when it is found under
    another name (by its phone number, or its name and ZIP code written otherwise)."""
    if institution is None or institution.name.casefold() == group.details.name.casefold():
        return ""
    return f"Added to {institution.name}: it has this row's phone number, or name and ZIP code."


def _without_access(enrollment: Enrollment) -> str:
    """What a row for a practice the organization cannot install on says, in its true state."""
    name = enrollment.institution.name
    if enrollment.status is EnrollmentStatus.AWAITING_CONSENT:
        return f"{name}: access already requested from the practice."
    why = enrollment.status_reason or enrollments.LABELS[enrollment.status].lower()
    return f"{name}: no access to the practice's Synchronizer ({why}); nothing imported."


def _own_key(practice: matching.Practice) -> tuple[str, str, str]:
    """`matching.own_key` from the keys the practice worked out already."""
    name, street, _ = practice.normalised
    return name, street, practice.zip_code
