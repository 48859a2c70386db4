"""POST /authenticates: exchange an API key for a bearer token."""

from flask import request

from portal import edge
from portal.api import limits, shapes
from portal.api.operations import One, operation
from portal.services.accounts import api_tokens


@operation(
    "POST",
    "/authenticates",
    "Exchange an API key (raw, in Authorization) for a bearer token",
    answer=One(shapes.Token),
    statuses=(201,),
    limit=limits.authentication,
    tag="Authentication",
    open=True,
)
def authenticate():
    # The raw key; tolerate clients that always send the Bearer scheme.
    raw_key = edge.bearer_token() or request.headers.get("Authorization", "")
    token = api_tokens.authenticate(raw_key)
    return edge.success(shapes.Token(token=token), 201, "Authenticated")
