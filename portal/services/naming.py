"""Readable, unique slugs for organizations and institution subdomains."""

import re
import secrets

from sqlalchemy import select

from portal.extensions import db


def slugify(text: str, max_length: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].strip("-") or "practice"


def unique_slug(column, text: str) -> str:
    """`slugify(text)`, with a short random suffix when the column already holds it."""
    base = slugify(text)
    candidate = base
    while db.session.scalar(select(column).where(column == candidate).limit(1)) is not None:
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate
