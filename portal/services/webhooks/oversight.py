"""What staff watch across organizations: endpoints turned off and deliveries failing (the
last attempt failed and retries go on, or the retries ran out). Named queries, used by the
ops console's lists and its queue tiles."""

from sqlalchemy import and_, func, or_, select

from portal.extensions import db
from portal.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

S = DeliveryStatus


def turned_off():
    """The condition of an endpoint that receives nothing (paused or turned off for failing)."""
    return WebhookEndpoint.active.is_(False)


def failing():
    """The condition of a delivery that failed for good, or whose last attempt failed."""
    retrying = and_(
        WebhookDelivery.status.in_([S.PENDING, S.SENDING]), WebhookDelivery.attempts > 0
    )
    return or_(WebhookDelivery.status == S.FAILED, retrying)


def counts() -> dict[str, int]:
    """The two queue sizes, by the words of their tiles."""

    def count(model, condition) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(condition))

    return {
        "Webhook endpoints turned off": count(WebhookEndpoint, turned_off()),
        "Webhook deliveries failing": count(WebhookDelivery, failing()),
    }
