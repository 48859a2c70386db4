"""The Synchronizer protocol (SPEC section 6), `/synchronizer/v1/...`: JSON in, JSON out.

Agents are not browsers: no cookies, no CSRF token; the product key or the bearer agent
token is the credential. Bodies are small and checked in full (their shapes below) before
anything changes; answers and refusals are the envelope of `portal.edge`.
"""

from typing import Annotated

from flask import Blueprint
from msgspec import Meta, Struct

from portal import edge
from portal.edge import ZonedTime
from portal.edge.fields import nonblank, text
from portal.extensions import csrf, limiter
from portal.services import PortalError
from portal.services.records.api_access import InvalidField
from portal.services.syncs import agents, heartbeats

MAX_BODY = 64 * 1024
MAX_LOCATIONS = 500

bp = Blueprint("synchronizer", __name__, url_prefix="/synchronizer/v1")
csrf.exempt(bp)
edge.register(bp, max_body=MAX_BODY)

# Agents may send numbers where text is meant (a host or location id): both are read as text.
Code = Annotated[str, Meta(max_length=80)] | int


class Activation(Struct, kw_only=True):
    product_key: nonblank(64)
    hostname: text(200) | int = ""
    version: text(40) | int = ""


class ReportedLocation(Struct, kw_only=True):
    foreign_id: nonblank(80) | int
    name: nonblank(200)
    street_address: text(200) = ""
    city: text(100) = ""
    state: text(2) = ""
    zip_code: text(10) = ""
    phone_number: text(30) = ""


class Heartbeat(Struct, kw_only=True):
    last_read_at: ZonedTime | None = None
    last_write_at: ZonedTime | None = None
    locations: Annotated[list[ReportedLocation], Meta(max_length=MAX_LOCATIONS)] = []


class Failure(Struct, kw_only=True):
    code: Code = ""
    message: nonblank(900)


@bp.post("/activate")
@limiter.limit("30/minute")
def activate():
    body = edge.body(Activation)
    sync, token = agents.activate(
        body.product_key.strip(),
        hostname=str(body.hostname).strip(),
        version=str(body.version).strip(),
    )
    return edge.success({"agent_token": token, "sync_id": sync.id}, 201, "Activated")


@bp.post("/heartbeat")
def heartbeat():
    token = _agent_token()
    try:
        body = edge.body(Heartbeat)
        locations = _locations(body.locations)
    except PortalError:
        agents.authenticate(token)  # an unknown token is refused as such, whatever it sent
        raise
    sync_id, status = heartbeats.heartbeat(
        token,
        last_read_at=body.last_read_at,
        last_write_at=body.last_write_at,
        locations=locations,
    )
    return edge.success({"sync_id": sync_id, "status": status.value}, 200, "Recorded")


@bp.post("/failures")
def failures():
    sync = agents.authenticate(_agent_token())
    body = edge.body(Failure)
    agents.report_failure(sync, code=str(body.code).strip(), message=body.message.strip())
    data = {"sync_id": sync.id, "status": sync.status.value}
    return edge.success(data, 200, "Failure recorded")


def _agent_token() -> str:
    token = edge.bearer_token()
    if token is None:
        raise agents.Unauthorized("Send the agent token as 'Authorization: Bearer <token>'.")
    return token


def _locations(items: list[ReportedLocation]) -> list[agents.ReportedLocation]:
    parsed = [
        agents.ReportedLocation(
            foreign_id=str(item.foreign_id).strip(),
            name=item.name.strip(),
            street_address=item.street_address.strip(),
            city=item.city.strip(),
            state=item.state.strip(),
            zip_code=item.zip_code.strip(),
            phone_number=item.phone_number.strip(),
        )
        for item in items
    ]
    if len({p.foreign_id for p in parsed}) != len(parsed):
        raise InvalidField("locations", "must name each foreign_id once.")
    return parsed
