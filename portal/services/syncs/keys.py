"""The secrets a sync carries: its product key (self-installer), its agent token (once a
Synchronizer activated) and its extension token (cloud). Only digests are looked up; the
product key and extension token are also kept encrypted so their creator can see them."""

from secrets import token_bytes

from sqlalchemy import select

from portal.extensions import db
from portal.models import Sync
from portal.services import secrets

PRODUCT_KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: read aloud safely
PRODUCT_KEY_GROUPS, PRODUCT_KEY_GROUP_LENGTH = 5, 5  # 25 symbols of 5 bits: 125 bits
SYMBOL_OF = bytes(ord(PRODUCT_KEY_ALPHABET[byte % 32]) for byte in range(256))


def new_product_key() -> str:
    return _grouped(_product_key_symbols())


def _product_key_symbols() -> str:
    # One random byte per symbol, read through a table mapping its low 5 bits to a symbol:
    # 256 is a multiple of 32, so each symbol is uniform (as 25 separate choices), in C.
    return token_bytes(PRODUCT_KEY_GROUPS * PRODUCT_KEY_GROUP_LENGTH).translate(SYMBOL_OF).decode()


def _grouped(symbols: str) -> str:
    n = PRODUCT_KEY_GROUP_LENGTH
    return "-".join(symbols[i : i + n] for i in range(0, len(symbols), n))


def canonical_product_key(raw: str) -> str:
    """What a typed key means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def fresh_product_key() -> dict:
    """Column values for a new product key; the old key and any agent token stop working."""
    symbols = _product_key_symbols()  # its canonical form already
    return {
        "product_key_digest": secrets.digest(symbols),
        "product_key_encrypted": secrets.encrypt(_grouped(symbols)),
        "agent_token_digest": None,
        "activated_at": None,
    }


def fresh_extension_token() -> str:
    return secrets.encrypt("ext_" + secrets.base62(32))


def product_key(sync: Sync) -> str | None:
    return secrets.decrypt(sync.product_key_encrypted) if sync.product_key_encrypted else None


def extension_token(sync: Sync) -> str | None:
    encrypted = sync.extension_token_encrypted
    return secrets.decrypt(encrypted) if encrypted else None


def find_by_product_key(raw: str) -> Sync | None:
    digest = secrets.digest(canonical_product_key(raw))
    return db.session.scalar(select(Sync).where(Sync.product_key_digest == digest))


def find_by_agent_token(raw: str, *, lock: bool = False) -> Sync | None:
    query = select(Sync).where(Sync.agent_token_digest == secrets.digest(raw))
    return db.session.scalar(query.with_for_update() if lock else query)
