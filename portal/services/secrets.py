"""Random tokens, their digests, and encryption of credentials kept at rest."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def token(nbytes: int = 32) -> str:
    """A URL-safe random token for emailed links."""
    return secrets.token_urlsafe(nbytes)


def base62(length: int) -> str:
    """`length` random base62 characters (22 carry more than 128 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def digest(value: str) -> str:
    """SHA-256 hex digest: what we store and look up instead of a secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet() -> Fernet:
    key = current_app.config.get("ENCRYPTION_KEY")
    if not key:
        derived = hashlib.sha256(("fernet:" + current_app.config["SECRET_KEY"]).encode()).digest()
        key = base64.urlsafe_b64encode(derived)
    return Fernet(key)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:  # a rotated ENCRYPTION_KEY without re-encryption
        raise ValueError("stored secret cannot be decrypted with the current key") from exc
