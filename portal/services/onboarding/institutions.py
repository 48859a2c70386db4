"""Creating an institution: validated details, normalised matching keys, a unique subdomain,
and the organization's enrollment waiting for its first sync."""

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from sqlalchemy import not_, select
from sqlalchemy.orm import selectinload

from portal import inputs
from portal.extensions import db
from portal.models import Enrollment, Institution, Mode, User
from portal.services import Forbidden, PortalError, audit, bulk, commit
from portal.services.naming import unique_slug
from portal.services.onboarding import access, enrollments, matching

# The 50 states, DC and the inhabited territories, as the USPS abbreviates them.
US_STATES = frozenset(
    re.findall(
        r"[A-Z]{2}",
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
        "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP",
    )
)
ZIP = re.compile(r"^\d{5}(-\d{4})?$")
PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
REQUIRED = {
    "name": "Enter the institution's name.",
    "street_address": "Enter the street address.",
    "city": "Enter the city.",
    "state": "Choose the state.",
    "zip_code": "Enter the ZIP code.",
    "phone_number": "Enter the phone number.",
}
MAX_LENGTHS = {
    "name": 200,
    "street_address": 200,
    "street_address_2": 200,
    "city": 100,
    "email": 254,
    "website": 300,
    "contact_name": 200,
}


@dataclass
class Details:
    name: str
    street_address: str
    city: str
    state: str
    zip_code: str
    phone_number: str
    street_address_2: str = ""
    email: str = ""
    website: str = ""
    contact_name: str = ""
    is_group: bool = False


TEXT_FIELDS = tuple(f.name for f in fields(Details) if f.name != "is_group")


class InvalidDetails(PortalError):
    """Field-by-field messages, so a form (or a CSV row) can show each next to its input."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Check the highlighted fields: " + " ".join(errors.values()))
        self.errors = errors


def clean(details: Details) -> Details:
    """Trimmed, normalised details. Raises InvalidDetails naming every field that is wrong."""
    values = {name: (getattr(details, name) or "").strip() for name in TEXT_FIELDS}
    values["state"] = values["state"].upper()
    errors = {name: message for name, message in REQUIRED.items() if inputs.blank(values[name])}
    if not inputs.one_line("".join(values.values())):  # else no field breaks a line
        errors.update(
            (name, "Use one line, without line breaks or control characters.")
            for name, value in values.items()
            if not inputs.one_line(value)
        )
    errors.update(
        (name, f"Use at most {limit} characters.")
        for name, limit in MAX_LENGTHS.items()
        if len(values[name]) > limit and name not in errors
    )
    _check_formats(values, errors)
    if errors:
        raise InvalidDetails(errors)
    return Details(**values, is_group=bool(details.is_group))


def problems(details: Details) -> dict[str, str]:
    """What `clean` would refuse, field by field (empty when the details are fine)."""
    try:
        clean(details)
    except InvalidDetails as invalid:
        return invalid.errors
    return {}


def _check_formats(values: dict[str, str], errors: dict[str, str]) -> None:
    if values["state"] and values["state"] not in US_STATES:
        errors["state"] = "Use a two-letter US state code, such as NY."
    if values["zip_code"] and not ZIP.match(values["zip_code"]):
        errors["zip_code"] = "Use a 5-digit ZIP code (or ZIP+4, 12345-6789)."
    if values["phone_number"] and len(matching.phone_digits(values["phone_number"])) != 10:
        errors["phone_number"] = "Use a 10-digit US phone number, such as (212) 555-0100."
    if values["email"]:
        try:
            values["email"] = _normal_email(values["email"])
        except EmailNotValidError:
            errors["email"] = "Enter an email address such as frontdesk@practice.com."
    if values["website"]:
        website = values["website"]
        website = website if "://" in website else f"https://{website}"
        parts = urlsplit(website)
        if parts.scheme not in ("http", "https") or "." not in (parts.hostname or ""):
            errors["website"] = "Enter a web address such as https://practice.com."
        values["website"] = website


def _normal_email(address: str) -> str:
    """The validator's normalised address; raises EmailNotValidError as it does.

    Most addresses are plain (letters, digits and `._%+-` before the @, a host name after
    it), and there the domain alone decides: the validator's verdict on the domain is
    worked out once per domain (a practice group's file repeats one domain thousands of
    times; domain checks were two thirds of the validator's time) and the part before the
    @ kept as written. Anything else, and the mailbox names the validator lowercases
    (info@, sales@...), goes through the validator whole."""
    plain = PLAIN_EMAIL.fullmatch(address)
    if (
        plain is None
        or len(plain[1]) > 64
        or len(address) > 254
        or plain[1].lower() in CASE_INSENSITIVE_MAILBOX_NAMES
    ):
        return validate_email(address, check_deliverability=False).normalized
    return f"{plain[1]}@{_email_domain(plain[2])}"


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str:
    return validate_email(f"a@{domain}", check_deliverability=False).domain


def create(details: Details, *, actor: User, mode: Mode) -> Enrollment:
    """Create an institution and the actor's organization's enrollment in it (`needs_sync`).

    New institutions are production practices: in test mode the sandbox institution is the
    only one. Raises Forbidden in test mode and InvalidDetails for bad input.
    """
    enrollment = add(details, organization=actor.organization, actor=actor, mode=mode)
    commit()
    return enrollment


def add(details: Details, *, organization, actor: User, mode: Mode, subdomain: str = ""):
    """`create` without the commit, for callers that create many in one transaction (the CSV
    import, which also chooses the subdomains in bulk)."""
    if mode is not Mode.PRODUCTION:
        raise Forbidden(
            "Test mode has one institution, your sandbox. Switch to production mode "
            "(after your upgrade is approved) to onboard practices."
        )
    details = clean(details)
    institution = Institution(
        **{f.name: getattr(details, f.name) for f in fields(details)},
        subdomain=subdomain or unique_slug(Institution.subdomain, details.name),
        mode=mode,
        syncs=[],  # new, so known empty: adding its first sync need not read them back
    )
    matching.fill_keys(institution)
    enrollment = enrollments.start(organization, institution, mode)
    db.session.flush()
    audit.record(
        "institution.created",
        actor=actor,
        organization=organization,
        target=institution,
        name=institution.name,
        subdomain=institution.subdomain,
    )
    return enrollment


def already_yours(organization, details: Details) -> Enrollment | None:
    """The organization's enrollment in an institution of its own with these details' phone
    number, or name and ZIP code (`matching.find_own`, `yours`), or None."""
    practice = matching.Practice(
        details.name, details.street_address, details.zip_code, details.phone_number
    )
    _, own = matching.find_own(organization, practice)
    return yours(organization, own)


def yours(organization, institution: Institution | None) -> Enrollment | None:
    """The organization's enrollment in `institution`, unless it `access.ended`."""
    if institution is None:
        return None
    return db.session.scalar(_yours(organization, Enrollment.institution_id == institution.id))


def yours_each(organization, institutions: list[Institution]) -> dict[int, Enrollment]:
    """`yours` for each institution at once (by institution id, where there is one), with
    the institution's syncs read too: a query per thousand."""
    found = {}
    for ids in bulk.chunks({institution.id for institution in institutions}):
        query = _yours(organization, bulk.one_of(Enrollment.institution_id, ids))
        eager = selectinload(Enrollment.institution).selectinload(Institution.syncs)
        found.update((e.institution_id, e) for e in db.session.scalars(query.options(eager)))
    return found


def _yours(organization, which):
    return select(Enrollment).where(
        Enrollment.organization_id == organization.id, which, not_(access.ended())
    )


def dismiss_match(institution: Institution, *, actor: User) -> Institution:
    """The developer says the practice they are creating is not this match (audited)."""
    audit.record("institution.match_dismissed", actor=actor, target=institution)
    commit()
    return institution
