"""Deactivating an institution, or some of its locations: billing stops at that moment.

Nothing is deleted: grants keep their activation and deactivation times, which is what
billing reads. Deactivating every active location deactivates the enrollment itself.
"""

from dataclasses import dataclass

from sqlalchemy import select

from portal import email
from portal.extensions import db
from portal.models import Enrollment, Institution, User
from portal.services import Forbidden, audit, commit, tenancy
from portal.services.onboarding import enrollments, grants
from portal.services.outcomes import Outcome, each


@dataclass(frozen=True)
class Deactivation:
    enrollment: Enrollment
    locations: list[str]  # the names of the locations that stopped
    whole: bool


def deactivate(
    enrollment: Enrollment, *, actor: User | None, location_ids: list[int] | None = None, reason=""
) -> Deactivation:
    """Deactivate the whole enrollment (no ids) or the chosen active locations.

    Raises InvalidTransition for a choice that is not among the active locations, or for an
    enrollment already deactivated. `actor` None is the practice revoking its consent.
    """
    done = _deactivate(enrollment, actor=actor, location_ids=location_ids, reason=reason)
    commit()
    return done


def preview(enrollment: Enrollment, location_ids: list[int] | None = None) -> Deactivation:
    """What `deactivate` would stop, for the confirmation page; changes nothing. Raises the
    same refusals."""
    active = {g.location_id: g for g in grants.active(enrollment)}
    whole = location_ids is None or set(location_ids) >= set(active)
    if whole:
        enrollments.check(enrollment, "deactivate")
        stopping = list(active.values())
    else:
        chosen = set(location_ids)
        enrollments.check(enrollment, "deactivate_locations", chosen=chosen, offered=set(active))
        stopping = [active[i] for i in dict.fromkeys(location_ids)]
    return Deactivation(enrollment, [g.location.name for g in stopping], whole)


def deactivate_many(chosen: list[Enrollment], *, actor: User) -> Outcome:
    """Ops' bulk action: deactivate each enrollment; the deactivated ones are skipped."""
    if not actor.is_staff:
        raise Forbidden("Only staff deactivate in bulk.")
    outcome = each(chosen, lambda enrollment: _deactivate(enrollment, actor=actor))
    commit()
    return outcome


def _deactivate(enrollment, *, actor, location_ids=None, reason="") -> Deactivation:
    plan = preview(enrollment, location_ids)
    if plan.whole:
        by = "staff" if actor is not None and actor.is_staff else "the developer"
        reason = reason or f"deactivated by {by}"
        enrollments.move(enrollment, "deactivate", actor=actor, reason=reason)
    else:
        chosen = set(location_ids)
        grants.stop([g for g in grants.active(enrollment) if g.location_id in chosen])
    audit.record(
        "enrollment.locations_deactivated",
        actor=actor,
        organization=enrollment.organization,
        target=enrollment,
        locations=plan.locations,
        whole=plan.whole,
    )
    return plan


def revoke(enrollment_id: int, *, practice: Institution) -> Enrollment:
    """The practice withdraws an organization's access: its grants stop now."""
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id, Enrollment.institution_id == practice.id
        )
    )
    if enrollment is None:
        foreign = Enrollment.institution_id != practice.id
        raise tenancy.refused(Enrollment, enrollment_id, "No such app.", foreign)
    enrollments.check(enrollment, "deactivate")  # before the audit row and the email
    audit.record(
        "access.revoked",
        actor=None,
        organization=enrollment.organization,
        target=enrollment,
        institution=practice.name,
    )
    email.access_revoked(enrollment)
    return deactivate(enrollment, actor=None, reason=enrollments.REVOKED).enrollment
