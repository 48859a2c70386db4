"""Staff deciding requests in bulk (upgrades, activations): the rule they share.

Each decision is claimed once: the pending -> decided change is one conditional UPDATE, so
when two staff decide the same request at once (approve and approve, or approve and
reject), exactly one decision applies, with one audit row and one email; the other is
skipped with "already approved by ...". Requests no longer pending are skipped the same way,
so a bulk action run twice decides nothing the second time.
"""

from collections.abc import Callable
from dataclasses import dataclass

from portal import clock, inputs
from portal.extensions import db
from portal.models import RequestStatus, User
from portal.services import Conflict, Forbidden, PortalError, audit, commit
from portal.services.claims import claim
from portal.services.outcomes import Outcome, each


def approve(requests: list, *, actor: User, kind: str, apply: Callable, notify: Callable, **rules):
    """Approve the pending requests (one transaction): `apply` each, notify who asked."""
    decision = Decision(kind, RequestStatus.APPROVED, "", notify, apply=apply, **rules)
    outcome = decide(requests, actor=actor, decision=decision)
    commit()
    return outcome


def reject(requests: list, *, reason: str, actor: User, kind: str, reader: str, notify: Callable):
    """Reject the pending requests with a reason `reader` reads (one transaction)."""
    if inputs.blank(reason):
        raise PortalError(f"Give a reason for the rejection; {reader} reads it.")
    decision = Decision(kind, RequestStatus.REJECTED, reason.strip(), notify)
    outcome = decide(requests, actor=actor, decision=decision)
    commit()
    return outcome


@dataclass(frozen=True)
class Decision:
    """What staff decide of a kind of request, and what follows from it."""

    kind: str  # "upgrade": audited as upgrade.approved
    status: RequestStatus
    reason: str
    notify: Callable  # (request, requester) -> None
    refusal: Callable | None = None  # (request) -> why it is not decided, or None
    apply: Callable | None = None  # (request) -> None, once claimed


def decide(requests: list, *, actor: User, decision: Decision) -> Outcome:
    """Move each pending request to the decision's status unless its `refusal` gives a
    reason not to, then `apply` it, audit it as `<kind>.<status>` and `notify` the user who
    asked. Raises Forbidden for anyone but staff. Does not commit."""
    if not actor.is_staff:
        raise Forbidden(f"Only staff decide {decision.kind} requests.")
    return each(requests, lambda request: _decide_one(request, actor, decision))


def _decide_one(request, actor: User, decision: Decision) -> None:
    pending = request.status is RequestStatus.PENDING
    refused = decision.refusal(request) if decision.refusal and pending else None
    if refused:
        raise Conflict(refused)
    won = claim(
        request,
        type(request).status == RequestStatus.PENDING,
        status=decision.status,
        reason=decision.reason,
        decided_at=clock.now(),
        decided_by_id=actor.id,
    )
    if not won:
        raise Conflict(already_decided(request))
    if decision.apply is not None:
        decision.apply(request)
    audit.record(
        f"{decision.kind}.{decision.status.value}",
        actor=actor,
        organization=request.organization,
        target=request,
        reason=decision.reason,
    )
    decision.notify(request, db.session.get(User, request.requested_by_id or 0))


def already_decided(request) -> str:
    """ "already approved by olive@ops.example", or "already cancelled"."""
    decider = db.session.get(User, request.decided_by_id) if request.decided_by_id else None
    by = f" by {decider.email}" if decider else ""
    return f"already {request.status.value}{by}."
