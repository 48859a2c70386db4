"""Staff deciding requests in bulk (upgrades, activations): the rule they share.

Only pending requests are decided; the others in a selection are left as they are, so a
bulk action run twice decides nothing the second time.
"""

from collections.abc import Callable

from portal import clock
from portal.extensions import db
from portal.models import RequestStatus, User
from portal.services import Forbidden, PortalError, audit


def require_reason(reason: str, reader: str) -> str:
    if not reason.strip():
        raise PortalError(f"Give a reason for the rejection; {reader} reads it.")
    return reason.strip()


def decide(
    staff: User, requests: list, status: RequestStatus, *, reason: str, kind: str, notify: Callable
) -> list:
    """Set `status` on each pending request, audit it as `<kind>.<status>`, and notify the
    user who asked. Raises Forbidden for anyone but staff. Does not commit."""
    if not staff.is_staff:
        raise Forbidden(f"Only staff decide {kind} requests.")
    decided = [r for r in requests if r.status is RequestStatus.PENDING]
    for request in decided:
        request.status, request.reason, request.decided_at = status, reason, clock.now()
        audit.record(
            f"{kind}.{status.value}",
            actor=staff,
            organization=request.organization,
            target=request,
            reason=reason,
        )
        notify(request, db.session.get(User, request.requested_by_id or 0))
    return decided
