"""Readable, unique slugs for organizations and institution subdomains, and values made
from others cut to the column that stores them."""

import re
import secrets
import unicodedata

from sqlalchemy import select

from portal.extensions import db
from portal.services import bulk


def fit(text: str, column) -> str:
    """`text` cut to the length of `column` (e.g. `Institution.name`), ending in "…" when
    cut: a value made of others ("<organization> Demo Practice") may outgrow each of them."""
    limit = getattr(column.type, "length", None)
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def slugify(text: str, max_length: int = 60) -> str:
    """Lower-case ASCII letters and digits joined by hyphens: "Clínica Dental Zoë" is
    `clinica-dental-zoe` (accents dropped, not the letters that carry them)."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug[:max_length].strip("-") or "practice"


def unique_slug(column, text: str) -> str:
    """`slugify(text)`, with a short random suffix when the column already holds it."""
    base = slugify(text)
    candidate = base
    while db.session.scalar(select(column).where(column == candidate).limit(1)) is not None:
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate


def unique_slugs(column, texts: list[str], taken: set[str] | None = None) -> list[str]:
    """`unique_slug` for many texts at once, also unique among themselves (a CSV import):
    one query per round of candidates instead of one per text. Slugs in `taken` are not
    chosen; the ones chosen are added to it (for the next part of the same file)."""
    wanted = [slugify(text) for text in texts]
    chosen: list[str | None] = [None] * len(wanted)
    taken = set() if taken is None else taken
    candidates = list(wanted)
    while True:
        todo = [i for i, slug in enumerate(chosen) if slug is None]
        if not todo:
            return chosen
        for part in bulk.chunks({candidates[i] for i in todo}):
            taken |= set(db.session.scalars(select(column).where(bulk.one_of(column, part))))
        for i in todo:
            if candidates[i] in taken:
                candidates[i] = f"{wanted[i]}-{secrets.token_hex(2)}"
            else:
                chosen[i] = candidates[i]
                taken.add(candidates[i])
