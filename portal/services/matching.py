"""Normalised keys that let the portal recognise the same practice entered twice.

Institutions store these keys at creation (indexed columns), so a later lookup for a match
(same phone digits, or same name or street plus ZIP) is an index hit, never a scan.
"""

import re

from portal.models import Institution

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
