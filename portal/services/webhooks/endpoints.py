"""Webhook endpoints of an organization in one mode (not of the key that created them, so a
rotated key orphans nothing): create with a safe target and a secret shown once, change,
rotate the secret, turn off and on again, delete. Every change is audited.

    on  -> off   the developer pauses it (`active: false`), or its deliveries kept failing
                 for 48 hours (`deliveries`, which emails the organization's admins)
    off -> on    the developer turns it on again (the portal's *Re-enable*, `active: true`)
"""

from dataclasses import dataclass

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    Mode,
    Organization,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)
from portal.services import Conflict, commit, secrets, tenancy
from portal.services.claims import claim
from portal.services.webhooks import acting, outcomes, targets

MAX_ENDPOINTS = 20  # per organization and mode
SECRET_LENGTH = 32


@dataclass(frozen=True)
class WithSecret:
    """An endpoint and its secret in clear: show it once, never again."""

    endpoint: WebhookEndpoint
    secret: str


def for_organization(organization: Organization, mode: Mode, *, active: bool | None = None):
    """The organization's endpoints in `mode`, oldest first (only on or off ones if asked)."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.organization_id == organization.id, WebhookEndpoint.mode == mode
    )
    if active is not None:
        query = query.where(WebhookEndpoint.active.is_(active))
    return db.session.scalars(query.order_by(WebhookEndpoint.id)).all()


def get_for(organization: Organization, mode: Mode, endpoint_id: int) -> WebhookEndpoint:
    """One of the organization's endpoints in `mode`; any other id is simply not found."""
    endpoint = db.session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.organization_id == organization.id,
            WebhookEndpoint.mode == mode,
        )
    )
    if endpoint is None:
        foreign = WebhookEndpoint.organization_id != organization.id
        raise tenancy.refused(WebhookEndpoint, endpoint_id, "Webhook endpoint not found.", foreign)
    return endpoint


def create(
    organization: Organization, mode: Mode, *, target_url: str, active: bool = True, by
) -> WithSecret:
    """A new endpoint for `target_url` with a fresh secret. The URL must be a safe target
    (`targets.check`); at most MAX_ENDPOINTS per mode. Raises UnsafeTarget or Conflict."""
    target = targets.check(target_url)
    if _count(organization, mode) >= MAX_ENDPOINTS:
        raise Conflict(f"An organization has at most {MAX_ENDPOINTS} endpoints per mode.")
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        organization_id=organization.id,
        mode=mode,
        target_url=target.url,
        active=bool(active),
        **_secret_columns(secret),
    )
    db.session.add(endpoint)
    db.session.flush()
    acting.audit(by, "webhook_endpoint.created", endpoint, target_url=target.url)
    commit()
    return WithSecret(endpoint, secret)


def change(endpoint: WebhookEndpoint, *, target_url: str | None = None, active=None, by):
    """Change the target (checked again) and/or turn the endpoint on or off. Turning it on
    clears the failure record, so it gets a full 48 hours again. Raises UnsafeTarget."""
    if target_url is not None:
        endpoint.target_url = targets.check(target_url).url
    if active is not None and bool(active) != endpoint.active:
        _switch(endpoint, bool(active))
    endpoint.updated_at = clock.now()
    acting.audit(
        by, "webhook_endpoint.changed", endpoint, target_url=target_url, active=endpoint.active
    )
    commit()
    return endpoint


def reenable(endpoint: WebhookEndpoint, *, by) -> WebhookEndpoint:
    """The portal's *Re-enable*: an endpoint that is off goes back on. Raises Conflict when
    it is on already."""
    if endpoint.active:
        raise Conflict("This endpoint is already on.")
    return change(endpoint, active=True, by=by)


def rotate_secret(endpoint: WebhookEndpoint, *, by) -> WithSecret:
    """A new secret signs every message from now on; the old one stops at once."""
    secret = _new_secret()
    for name, value in _secret_columns(secret).items():
        setattr(endpoint, name, value)
    endpoint.updated_at = clock.now()
    acting.audit(by, "webhook_endpoint.secret_rotated", endpoint)
    commit()
    return WithSecret(endpoint, secret)


def delete(endpoint: WebhookEndpoint, *, by) -> None:
    """Delete the endpoint with its subscriptions and delivery log."""
    acting.audit(by, "webhook_endpoint.deleted", endpoint, target_url=endpoint.target_url)
    for model in (WebhookAttempt, WebhookDelivery, WebhookSubscription):
        db.session.execute(sql_delete(model).where(model.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    commit()


def secret_of(endpoint: WebhookEndpoint) -> str:
    return secrets.decrypt(endpoint.secret_encrypted)


def masked_secret(endpoint: WebhookEndpoint) -> str:
    """What is shown after creation: enough to tell two secrets apart."""
    return f"\u2026{endpoint.secret_last_four}"


def _switch(endpoint: WebhookEndpoint, on: bool) -> None:
    # Claimed: the worker may be turning the same endpoint off at this moment. Whoever
    # loses finds it already as wanted (or as the winner left it, on a re-read).
    if on:
        values = {"failing_since": None, "disabled_at": None, "disabled_reason": ""}
    else:
        values = {"disabled_at": clock.now(), "disabled_reason": "Turned off by the developer."}
    if claim(endpoint, WebhookEndpoint.active.is_(not on), active=on, **values) and not on:
        outcomes.stop_pending(endpoint, outcomes.TURNED_OFF)


def _count(organization: Organization, mode: Mode) -> int:
    return db.session.scalar(
        select(func.count(WebhookEndpoint.id)).where(
            WebhookEndpoint.organization_id == organization.id, WebhookEndpoint.mode == mode
        )
    )


def _new_secret() -> str:
    return secrets.base62(SECRET_LENGTH)


def _secret_columns(secret: str) -> dict:
    return {"secret_encrypted": secrets.encrypt(secret), "secret_last_four": secret[-4:]}
