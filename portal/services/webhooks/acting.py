"""Who changes webhooks: a signed-in developer on the portal, or an API key. Both leave
the same audit rows; an API key is named by its visible ends."""

from portal.models import User
from portal.services import audit as trail
from portal.services.records import api_access


def audit(by, action: str, target, **details) -> None:
    """An audit row for `action` on `target` by a User or an API Caller."""
    if isinstance(by, User):
        organization = getattr(target, "organization", None) or by.organization
        trail.record(action, actor=by, organization=organization, target=target, **details)
    else:
        api_access.audit(by, action, target, **details)
