"""Staff deciding requests in bulk (upgrades, activations): the rule they share.

Each decision is claimed once: the pending -> decided change is one conditional UPDATE, so
when two staff decide the same request at once (approve and approve, or approve and
reject), exactly one decision applies, with one audit row and one email; the other is
skipped with "already approved by ...". Requests no longer pending are skipped the same way,
so a bulk action run twice decides nothing the second time.
"""

from collections.abc import Callable

from portal import clock
from portal.extensions import db
from portal.models import RequestStatus, User
from portal.services import Forbidden, PortalError, audit, commit
from portal.services.claims import claim
from portal.services.outcomes import Outcome


def approve(requests: list, *, actor: User, kind: str, apply: Callable, notify: Callable, **rules):
    """Approve the pending requests (one transaction): `apply` each, notify who asked."""
    outcome = decide(
        requests, RequestStatus.APPROVED, actor=actor, reason="", kind=kind, apply=apply,
        notify=notify, **rules,
    )  # fmt: skip
    commit()
    return outcome


def reject(requests: list, *, reason: str, actor: User, kind: str, reader: str, notify: Callable):
    """Reject the pending requests with a reason `reader` reads (one transaction)."""
    if not reason.strip():
        raise PortalError(f"Give a reason for the rejection; {reader} reads it.")
    outcome = decide(
        requests, RequestStatus.REJECTED, actor=actor, reason=reason.strip(), kind=kind,
        notify=notify,
    )  # fmt: skip
    commit()
    return outcome


def decide(
    requests: list,
    status: RequestStatus,
    *,
    actor: User,
    reason: str,
    kind: str,
    refusal: Callable | None = None,
    apply: Callable | None = None,
    notify: Callable,
) -> Outcome:
    """Move each pending request to `status` unless `refusal` gives a reason not to, then
    `apply` it, audit it as `<kind>.<status>` and `notify` the user who asked. Raises
    Forbidden for anyone but staff. Does not commit."""
    if not actor.is_staff:
        raise Forbidden(f"Only staff decide {kind} requests.")
    outcome = Outcome()
    for request in requests:
        refused = refusal(request) if refusal and request.status is RequestStatus.PENDING else None
        if refused:
            outcome.skip(request, refused)
            continue
        model = type(request)
        won = claim(
            request,
            model.status == RequestStatus.PENDING,
            status=status,
            reason=reason,
            decided_at=clock.now(),
            decided_by_id=actor.id,
        )
        if not won:
            outcome.skip(request, already_decided(request))
            continue
        if apply is not None:
            apply(request)
        audit.record(
            f"{kind}.{status.value}",
            actor=actor,
            organization=request.organization,
            target=request,
            reason=reason,
        )
        notify(request, db.session.get(User, request.requested_by_id or 0))
        outcome.done.append(request)
    return outcome


def already_decided(request) -> str:
    """ "already approved by olive@ops.example", or "already cancelled"."""
    decider = db.session.get(User, request.decided_by_id) if request.decided_by_id else None
    by = f" by {decider.email}" if decider else ""
    return f"already {request.status.value}{by}."
