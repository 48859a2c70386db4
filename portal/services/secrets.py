"""Random tokens, their digests, and encryption of credentials kept at rest."""

import base64
import hashlib
import hmac
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def encryption_keys(config) -> list[str]:
    """Every key that may decrypt, newest first: ENCRYPTION_KEYS (comma-separated), then the
    older single ENCRYPTION_KEY, then the key derived from SECRET_KEY (the default). The
    first one encrypts."""
    listed = [k.strip() for k in (config.get("ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    derived = hashlib.sha256(("fernet:" + config["SECRET_KEY"]).encode()).digest()
    for older in (config.get("ENCRYPTION_KEY"), base64.urlsafe_b64encode(derived).decode()):
        if older and older not in listed:
            listed.append(older)
    return listed


def check_keys(config) -> None:
    """Refuse to start with a key Fernet cannot use. Raises RuntimeError."""
    try:
        _fernet_from(config)
    except ValueError as exc:
        raise RuntimeError(
            "ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(Fernet.generate_key())."
        ) from exc


def _fernet() -> MultiFernet:
    return _fernet_from(current_app.config)


def _fernet_from(config) -> MultiFernet:
    return _fernet_of(config.get("ENCRYPTION_KEYS"), config.get("ENCRYPTION_KEY"),
                      config["SECRET_KEY"])  # fmt: skip


@cache
def _fernet_of(listed: str | None, older: str | None, secret_key: str) -> MultiFernet:
    """The keys worked out once per setting (a digest each time was a fifth of encrypting
    one product key, 10,000 of which an import's apply writes)."""
    settings = {"ENCRYPTION_KEYS": listed, "ENCRYPTION_KEY": older, "SECRET_KEY": secret_key}
    return MultiFernet([Fernet(key) for key in encryption_keys(settings)])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:  # its key was dropped from ENCRYPTION_KEYS too early
        raise ValueError("stored secret cannot be decrypted with the configured keys") from exc


def reencrypt(ciphertext: str) -> str:
    """The same secret under the newest key (`flask rotate-encryption`). Raises ValueError."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored secret cannot be decrypted with the configured keys") from exc
