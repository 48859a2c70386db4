"""Normalised keys that let the portal recognise the same practice entered twice.

Institutions store these keys at creation (indexed columns), so a later lookup for a match
(same phone digits, or same name or street plus ZIP) is an index hit, never a scan.
"""

import re
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import not_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Enrollment, Institution, Mode, Sync, SyncStage
from portal.services import bulk
from portal.services.onboarding import access

LEGAL_SUFFIXES = {"llc", "pllc", "inc", "pc", "pa", "ltd", "co", "corp", "the"}
STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "parkway": "pkwy",
    "highway": "hwy",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


# One of the organization's own institutions is the same practice by its phone number, or
# its name and ZIP code. Practices in one building share a street address and ZIP code, so
# that alone is no sign of it (a live practice found so is asked, and can say no).
OWN_KINDS = ("phone", "name")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NOT_DIGIT = re.compile(r"\D")


def _words(text: str) -> list[str]:
    text = text.lower().replace("&", " and ").replace("'", "")
    return _NOT_WORD.sub(" ", text).split()


def name_key(name: str) -> str:
    """ "The Smile Co., LLC" and "smile co" give the same key."""
    return " ".join(w for w in _words(name) if w not in LEGAL_SUFFIXES)[:200]


def street_key(street: str) -> str:
    """ "100 North Main Street" and "100 N. Main St" give the same key."""
    return " ".join(STREET_WORDS.get(w, w) for w in _words(street))[:200]


def phone_digits(phone: str) -> str:
    """The ten digits of a US number: "+1 (217) 555-0100" gives "2175550100"."""
    digits = _NOT_DIGIT.sub("", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits[:15]


def fill_keys(institution: Institution) -> None:
    institution.name_key = name_key(institution.name)
    institution.street_key = street_key(institution.street_address)
    institution.phone_digits = phone_digits(institution.phone_number)


@dataclass(frozen=True)
class Practice:
    """What a match is looked up by."""

    name: str
    street_address: str
    zip_code: str
    phone: str

    @cached_property
    def normalised(self) -> tuple[str, str, str]:
        """(name_key, street_key, phone_digits), worked out once per practice."""
        return name_key(self.name), street_key(self.street_address), phone_digits(self.phone)

    def keys(self) -> list[tuple[str, str, str | None]]:
        """(kind, key, zip) for each usable key: a full phone number; name or street with a ZIP."""
        found = []
        name, street, phone = self.normalised
        if len(phone) >= 10:
            found.append(("phone", phone, None))
        for kind, key in (("name", name), ("street", street)):
            if key and self.zip_code:
                found.append((kind, key, self.zip_code))
        return found


def find_match(organization, *, name: str, street_address: str, zip_code: str, phone: str):
    """A production institution that is live with the Synchronizer and that `organization` is
    not enrolled in, matching by phone digits, or by normalised name or street plus ZIP.

    Indexed lookups, never a scan. Returns the oldest such institution, or None.
    """
    return find_matches(organization, [Practice(name, street_address, zip_code, phone)])[0]


def find_matches(organization, practices: list[Practice], chunk: int = 300):
    """`find_match` for many practices at once: one query per `chunk`."""
    return [live for live, _ in find_both(organization, practices, chunk)]


def find_both(organization, practices: list[Practice], chunk: int = 300) -> list[tuple]:
    """Per practice, (`find_match`'s match, the match among the institutions the organization
    is enrolled in, asked for or onboarded already, live or not, by OWN_KINDS of key), from
    one set of lookups (a CSV import needs both)."""
    found = []
    for part in bulk.chunks(practices, chunk):
        wanted = [practice.keys() for practice in part]
        live, mine = _candidates(organization, {key for keys in wanted for key in keys})
        found += [
            (_oldest(live, keys), _oldest(mine, [key for key in keys if key[0] in OWN_KINDS]))
            for keys in wanted
        ]
    return found


def find_own(organization, practice: Practice) -> tuple:
    """`find_both` for one practice."""
    [found] = find_both(organization, [practice])
    return found


def _oldest(candidates: dict[tuple, Institution], keys: list[tuple]) -> Institution | None:
    ids = [candidates[key] for key in keys if key in candidates]
    return min(ids, key=lambda row: row.id) if ids else None


def _candidates(organization, keys: set[tuple]) -> tuple[dict, dict]:
    """For each (kind, key, zip) that has one: the oldest matchable institution (live, not
    enrolled in), and the oldest one the organization is enrolled in."""
    if not keys:
        return {}, {}
    phones = [key for kind, key, _ in keys if kind == "phone"]
    names = [(key, zip_) for kind, key, zip_ in keys if kind == "name"]
    streets = [(key, zip_) for kind, key, zip_ in keys if kind == "street"]
    clauses = []
    if phones:
        clauses.append(bulk.one_of(Institution.phone_digits, phones))
    # Name (street) and ZIP pairs: on SQLite a superset (see `bulk.pairs_in`); the pairs
    # themselves are compared below.
    for column, pairs in ((Institution.name_key, names), (Institution.street_key, streets)):
        if pairs:
            clauses.append(bulk.pairs_in((column, Institution.zip_code), pairs))
    # The keys first, then which of those few institutions are live and not enrolled (asked
    # together, SQLite walks every live institution instead of the keys' indexes).
    # One query per kind of key, so that each reads its own index (SQLite scans for an OR).
    found = {
        row.id: row for c in clauses for row in db.session.scalars(select(Institution).where(c))
    }
    rows = [row for row in found.values() if row.mode is Mode.PRODUCTION]
    ids = [row.id for row in rows]
    live = set(
        db.session.scalars(
            select(Sync.institution_id).where(
                bulk.one_of(Sync.institution_id, ids), Sync.status == SyncStage.ACTIVE
            )
        )
    )
    mine = dict(
        db.session.execute(
            select(Enrollment.institution_id, access.ended()).where(
                Enrollment.organization_id == organization.id,
                bulk.one_of(Enrollment.institution_id, ids),
            )
        ).all()
    )
    oldest: tuple[dict, dict] = ({}, {})  # live and not enrolled; enrolled, not ended
    for row in sorted(rows, key=lambda row: row.id):
        if mine.get(row.id) or (row.id not in mine and row.id not in live):
            continue  # an institution it is done with is neither a match nor its own
        kind = oldest[row.id in mine]
        for key in (
            ("phone", row.phone_digits, None),
            ("name", row.name_key, row.zip_code),
            ("street", row.street_key, row.zip_code),
        ):
            if key in keys:
                kind.setdefault(key, row)
    return oldest


def own_key(name: str, street_address: str, zip_code: str) -> tuple[str, str, str]:
    """What makes two entries of one organization the same practice: name, street and ZIP."""
    return name_key(name), street_key(street_address), zip_code


def own_enrollments(organization, keys: set[tuple], chunk: int = 300) -> dict[tuple, Enrollment]:
    """The organization's production enrollment for each `own_key` that has one (the oldest
    not `access.ended`), with its institution and syncs, read in one query per `chunk` keys."""
    wanted, owned = keys, {}
    columns = (Institution.name_key, Institution.street_key, Institution.zip_code)
    for part in bulk.chunks(keys, chunk):
        rows = db.session.execute(
            select(Enrollment, *columns)
            .join(Institution, Institution.id == Enrollment.institution_id)
            .where(
                Enrollment.organization_id == organization.id,
                Enrollment.mode == Mode.PRODUCTION,
                Enrollment.institution_id.in_(_by_name(part)),
                not_(access.ended()),
            )
            .options(selectinload(Enrollment.institution).selectinload(Institution.syncs))
            .order_by(Enrollment.id)
        )
        for enrollment, *key in rows:
            if tuple(key) in wanted:
                owned.setdefault(tuple(key), enrollment)
    return owned


def _by_name(keys: list[tuple]):
    # Institution ids by name and ZIP (see `_candidates`), so that the database reads the
    # name index, not all of a big organization's enrollments.
    return select(Institution.id).where(
        bulk.pairs_in((Institution.name_key, Institution.zip_code), {(n, z) for n, _, z in keys})
    )
