"""POST /authenticates: exchange an API key for a bearer token."""

from flask import request

from portal.api import bp, envelope, limits
from portal.services.accounts import api_tokens


@bp.post("/authenticates")
@limits.authentication
def authenticate():
    raw_key = request.headers.get("Authorization", "")
    scheme, _, rest = raw_key.partition(" ")
    if scheme.lower() == "bearer":  # tolerate clients that always send the Bearer scheme
        raw_key = rest
    token = api_tokens.authenticate(raw_key)
    return envelope.success({"token": token}, 201, "Authenticated")
