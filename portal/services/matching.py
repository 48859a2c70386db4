"""Normalised keys that let the portal recognise the same practice entered twice.

Institutions store these keys at creation (indexed columns), so a later lookup for a match
(same phone digits, or same name or street plus ZIP) is an index hit, never a scan.
"""

import re

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import Enrollment, Institution, Mode, Sync, SyncStatus

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


def _words(text: str) -> list[str]:
    text = text.lower().replace("&", " and ").replace("'", "")
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def name_key(name: str) -> str:
    """ "The Smile Co., LLC" and "smile co" give the same key."""
    return " ".join(w for w in _words(name) if w not in LEGAL_SUFFIXES)[:200]


def street_key(street: str) -> str:
    """ "100 North Main Street" and "100 N. Main St" give the same key."""
    return " ".join(STREET_WORDS.get(w, w) for w in _words(street))[:200]


def phone_digits(phone: str) -> str:
    """The ten digits of a US number: "+1 (217) 555-0100" gives "2175550100"."""
    digits = re.sub(r"\D", "", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits[:15]


def fill_keys(institution: Institution) -> None:
    institution.name_key = name_key(institution.name)
    institution.street_key = street_key(institution.street_address)
    institution.phone_digits = phone_digits(institution.phone_number)


def find_match(organization, *, name: str, street_address: str, zip_code: str, phone: str):
    """A production institution that is live with the Synchronizer and that `organization` is
    not enrolled in, matching by phone digits, or by normalised name or street plus ZIP.

    Three indexed lookups, never a scan. Returns the oldest such institution, or None.
    """
    keys = [
        ("phone", phone_digits(phone), None),
        ("name", name_key(name), zip_code),
        ("street", street_key(street_address), zip_code),
    ]
    clauses = []
    for kind, key, zip_ in keys:
        if not key or (kind != "phone" and not zip_) or (kind == "phone" and len(key) < 10):
            continue
        column = {
            "phone": Institution.phone_digits,
            "name": Institution.name_key,
            "street": Institution.street_key,
        }[kind]
        clauses.append((column == key) & (Institution.zip_code == zip_) if zip_ else column == key)
    if not clauses:
        return None
    enrolled = select(Enrollment.institution_id).where(
        Enrollment.organization_id == organization.id
    )
    live = select(Sync.institution_id).where(Sync.status == SyncStatus.ACTIVE)
    return db.session.scalar(
        select(Institution)
        .where(or_(*clauses), Institution.mode == Mode.PRODUCTION)
        .where(Institution.id.in_(live), Institution.id.not_in(enrolled))
        .order_by(Institution.id)
        .limit(1)
    )
