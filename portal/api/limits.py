"""Per-key rate limits (Flask-Limiter): health records have a tighter budget than the rest,
in the spirit of the reference API. The limits are settings; the key is the caller's API key
(read from the signed bearer token, before any database work), else its address."""

from flask import current_app
from flask_limiter.util import get_remote_address

from portal.edge import bearer_token
from portal.extensions import limiter
from portal.services.accounts import api_tokens


def caller_key() -> str:
    token = bearer_token()
    key_id = api_tokens.key_id(token) if token else None
    return f"api-key:{key_id}" if key_id else f"address:{get_remote_address()}"


def _setting(name: str):
    return lambda: current_app.config[name]


records = limiter.shared_limit(
    _setting("API_RECORDS_RATE_LIMIT"), scope="api-records", key_func=caller_key
)
general = limiter.shared_limit(_setting("API_RATE_LIMIT"), scope="api", key_func=caller_key)
authentication = limiter.limit(_setting("API_AUTH_RATE_LIMIT"), key_func=get_remote_address)
