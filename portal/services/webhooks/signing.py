"""Webhook signatures as NexHealth documents them: HMAC-SHA256, keyed with the endpoint's
secret, over "{timestamp}.{the body in Base64}", hex-encoded, sent in the `signature`
header beside the `timestamp` header (Unix seconds). A receiver recomputes it from the raw
body and compares in constant time; an old timestamp tells it a message was replayed."""

import base64
import hashlib
import hmac


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"{timestamp}.".encode() + base64.b64encode(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"timestamp": str(timestamp), "signature": signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str, body: bytes, received: str) -> bool:
    """Whether `received` is the signature of `body` at `timestamp` under `secret`."""
    return hmac.compare_digest(signature(secret, timestamp, body), received or "")
