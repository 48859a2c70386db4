"""Hosted onboarding (NexHealth's Onboardings API): a developer creates a setup link with a
production key and hands it to a practice, whose IT completes the practice's details,
picks its health record system, then installs with the product key shown or enters the
cloud system's credentials itself, so the developer never handles the password.

The institution and enrollment are made as the portal's form makes them, matching
included: a practice already live on the platform is asked for consent instead (no
install), and one the organization has already is set up there, never entered twice.
The link is an unguessable token (looked up by digest) that expires.

    in_progress -> complete   the sync chosen on the page reports (or, for a matched
                              practice, the practice granted access)
    in_progress -> failed     the enrollment was deactivated, or the practice said no
The status follows the enrollment and sync (`follow`, also a periodic worker task);
each change records `onboarding_updated`, creation `onboarding_created`.
"""

import re
from dataclasses import dataclass, fields
from datetime import timedelta

from flask import current_app
from sqlalchemy import false, select

from portal import catalogue, clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    InstallMethod,
    Institution,
    Mode,
    Onboarding,
    OnboardingStatus,
    Organization,
    SyncStage,
)
from portal.services import (
    Conflict,
    Forbidden,
    NotFound,
    PortalError,
    audit,
    commit,
    events,
    secrets,
)
from portal.services.claims import claim
from portal.services.onboarding import consent, enrollments, institutions, matching
from portal.services.records import api_access
from portal.services.records.api_access import InvalidField

HOSTED_INSTALLS = (InstallMethod.SELF_INSTALLER, InstallMethod.CLOUD)
DETAIL_NAMES = [f.name for f in fields(institutions.Details)]
S = OnboardingStatus
PUBLIC_ID = re.compile(r"[a-z0-9]{1,16}")


class LinkExpired(PortalError):
    status_code = 410


@dataclass(frozen=True)
class Wanted:
    """What the API's POST /onboardings asks for."""

    subdomain: str | None = None
    emr_name: str | None = None
    details: dict | None = None  # institutions.Details fields, for a new institution


def systems() -> list[catalogue.System]:
    """The systems a practice can set up on the hosted page by itself."""
    return [s for s in catalogue.SYSTEMS.values() if s.install in HOSTED_INSTALLS]


def create(caller, wanted: Wanted) -> Onboarding:
    """A new onboarding link for a new institution (`details`) or one the caller reaches
    (`subdomain`). Production keys only (Forbidden). Raises InvalidField or
    InvalidDetails for bad input; a subdomain the caller cannot reach is Forbidden."""
    if caller.mode is not Mode.PRODUCTION:
        raise Forbidden("Only production keys create onboardings.")
    onboarding = Onboarding(organization_id=caller.organization_id, **_new_link())
    onboarding.emr_name = _system_code(wanted.emr_name)
    if wanted.subdomain:
        institution = api_access.institution(caller, wanted.subdomain)
        onboarding.institution_id = institution.id
        onboarding.enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.organization_id == caller.organization_id,
                Enrollment.institution_id == institution.id,
            )
        )
    elif wanted.details and (wanted.details.get("name") or "").strip():
        _take_details(onboarding, wanted.details, caller.organization)
    else:
        raise InvalidField("onboarding", "needs institution_name (a new practice) or subdomain.")
    db.session.add(onboarding)
    db.session.flush()
    _announce("onboarding_created", onboarding)
    api_access.audit(caller, "onboarding.created", onboarding, public_id=onboarding.public_id)
    commit()
    return onboarding


def for_caller(caller, *, status: str | None = None, subdomain: str | None = None):
    """The caller's organization's onboardings as a query (the API pages it). They belong
    to production, so a sandbox key's query finds none."""
    query = select(Onboarding).where(Onboarding.organization_id == caller.organization_id)
    if caller.mode is not Mode.PRODUCTION:
        query = query.where(false())
    if status is not None:
        query = query.where(Onboarding.status == OnboardingStatus(status))
    if subdomain is not None:
        query = query.join(Institution, Institution.id == Onboarding.institution_id).where(
            Institution.subdomain == subdomain
        )
    return query


def get_for(caller, public_id: str) -> Onboarding:
    """One of the caller's organization's onboardings (production keys only); any other id
    is simply not found."""
    found = None
    if caller.mode is Mode.PRODUCTION and PUBLIC_ID.fullmatch(public_id or ""):
        found = db.session.scalar(
            select(Onboarding).where(
                Onboarding.public_id == public_id,
                Onboarding.organization_id == caller.organization_id,
            )
        )
    if found is None:
        if db.session.scalar(select(Onboarding.id).where(Onboarding.public_id == public_id)):
            audit.denial("other_tenant", target_type="Onboarding", target_id=public_id)
        raise NotFound("Onboarding not found.")
    return found


def url_of(onboarding: Onboarding) -> str:
    """The setup link, always from BASE_URL (never from a request's Host header)."""
    token = secrets.decrypt(onboarding.token_encrypted)
    return f"{current_app.config['BASE_URL'].rstrip('/')}/setup/{token}"


def by_link(raw: str) -> Onboarding:
    """The onboarding a setup link opens. Raises NotFound for a wrong link and LinkExpired
    once it expired (its practice then asks the developer for a new one)."""
    found = db.session.scalar(
        select(Onboarding).where(Onboarding.token_digest == secrets.digest(raw or ""))
    )
    if found is None:
        audit.denial("link", link="hosted setup")
        raise NotFound("This setup link is not valid.")
    if found.url_expires_at <= clock.now():
        raise LinkExpired("This setup link has expired: ask the developer for a new one.")
    return found


def follow(onboarding: Onboarding) -> bool:
    """Bring the status in line with the enrollment and sync; True if it changed (the
    change is claimed, so it is announced once)."""
    wanted = status_for(onboarding)
    if wanted is onboarding.status:
        return False
    now = clock.now()
    changed = claim(
        onboarding,
        Onboarding.status == onboarding.status,
        status=wanted,
        updated_at=now,
        completed_at=now if wanted is S.COMPLETE else None,
    )
    if changed:
        _announce("onboarding_updated", onboarding)
    return changed


def follow_all(_worker: str = "", limit: int = 500) -> int:
    """`follow` every onboarding still in progress (a periodic worker task)."""
    ids = db.session.scalars(
        select(Onboarding.id).where(Onboarding.status == S.IN_PROGRESS).limit(limit)
    ).all()
    changed = 0
    for onboarding_id in ids:
        changed += follow(db.session.get(Onboarding, onboarding_id))
        commit()
    return changed


def status_for(onboarding: Onboarding) -> OnboardingStatus:
    enrollment = onboarding.enrollment
    if enrollment is None:
        return S.IN_PROGRESS
    closed = enrollment.status_reason in enrollments.ACCESS_CLOSED
    if enrollment.status is EnrollmentStatus.DEACTIVATED or (
        enrollment.status is EnrollmentStatus.FAILED and closed
    ):
        return S.FAILED
    if onboarding.sync is not None:
        return S.COMPLETE if onboarding.sync.status is SyncStage.ACTIVE else S.IN_PROGRESS
    if enrollment.status is EnrollmentStatus.LIVE and onboarding.details.get("matched"):
        return S.COMPLETE
    return S.IN_PROGRESS


def _take_details(onboarding: Onboarding, given: dict, organization) -> None:
    details = {name: given.get(name) for name in DETAIL_NAMES if given.get(name) is not None}
    if all((details.get(name) or "").strip() for name in institutions.REQUIRED):
        place_institution(onboarding, details, organization)
        return
    # The practice completes the rest on the hosted page; what was given must be right now.
    blank = {name: "" for name in institutions.REQUIRED}
    try:
        institutions.clean(institutions.Details(**{**blank, **details}))
    except institutions.InvalidDetails as error:
        given_wrong = {k: v for k, v in error.errors.items() if str(details.get(k) or "").strip()}
        if given_wrong:
            raise institutions.InvalidDetails(given_wrong) from error
    onboarding.details = details


def place_institution(onboarding: Onboarding, details: dict, organization) -> None:
    """Create the institution and enrollment as the portal's form does, or, when a live
    practice matches, ask it for consent instead; a practice the organization has already
    is set up there. Raises InvalidDetails; Conflict when that practice can take no sync
    yet; RateLimited when it may not be asked again yet."""
    clean = institutions.clean(institutions.Details(**details))
    practice = matching.Practice(
        clean.name, clean.street_address, clean.zip_code, clean.phone_number
    )
    match, own = matching.find_own(organization, practice)
    mine = institutions.yours(organization, own)
    if mine is not None and consent.may_ask_again(mine):
        match, mine = own, None  # declined, expired or withdrawn: the link asks once more
    if mine is not None:
        # The organization has this practice already: a second institution for it would
        # split its syncs and records in two, so the link sets up the one there is.
        _check_joinable(organization, mine)
        enrollment = mine
        onboarding.details = {"joined": True}
    elif match is not None:
        enrollment = consent.add_request(match, organization=organization, actor=None)
        onboarding.details = {"matched": True}
    else:
        enrollment = institutions.add(
            clean, organization=organization, actor=None, mode=Mode.PRODUCTION
        )
        onboarding.details = {}
    onboarding.enrollment = enrollment
    onboarding.institution_id = enrollment.institution_id


def _check_joinable(organization, enrollment: Enrollment) -> None:
    """Raises Conflict when the organization's own institution can take no new sync yet
    (it is waiting for the practice's consent, say)."""
    refused = enrollments.refusal(enrollment, "add_sync")
    if refused:
        raise Conflict(
            f"{organization.name} already has this practice: {enrollment.institution.name} "
            f"has the same phone number, or the same name and ZIP code. {refused}"
        )


def _system_code(emr_name: str | None) -> str:
    if not emr_name:
        return ""
    if emr_name not in {s.code for s in systems()}:
        choices = ", ".join(s.code for s in systems())
        raise InvalidField("onboarding.emr_name", f"must be one of: {choices}.")
    return emr_name


def _new_link() -> dict:
    raw = secrets.token()
    days = current_app.config["ONBOARDING_LINK_DAYS"]
    return {
        "public_id": secrets.base62(12).lower(),
        "token_digest": secrets.digest(raw),
        "token_encrypted": secrets.encrypt(raw),
        "url_expires_at": clock.now() + timedelta(days=days),
    }


def touched(onboarding: Onboarding) -> None:
    """Something happened on the hosted page: say so (`onboarding_updated`)."""
    onboarding.updated_at = clock.now()
    _announce("onboarding_updated", onboarding)


def _announce(name: str, onboarding: Onboarding) -> None:
    events.record(
        name,
        organization=db.session.get(Organization, onboarding.organization_id),
        mode=Mode.PRODUCTION,
        data={"onboarding": summary(onboarding)},
    )


def summary(onboarding: Onboarding) -> dict:
    """The onboarding as NexHealth shapes it, for webhook messages and the API."""
    institution = onboarding.enrollment.institution if onboarding.enrollment else None
    return {
        "id": onboarding.public_id,
        "created_at": _iso(onboarding.created_at or clock.now()),
        "subdomain": institution.subdomain if institution else None,
        "url": url_of(onboarding),
        "url_expires_at": _iso(onboarding.url_expires_at),
        "status": (onboarding.status or S.IN_PROGRESS).value,
        "booking_params": None,
        "availability_ready_at": None,
    }


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")
