"""The files the bulk upload offers: the sample CSV and the product keys of an import."""

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import catalogue
from portal.extensions import db
from portal.models import ImportBatch, Sync
from portal.services.imports.csv_import import COLUMNS
from portal.services.syncs import keys

HUDSON = ["Hudson Family Dental", "12 River Road", "Suite 200", "Albany", "NY", "12207",
          "(518) 555-0199", "frontdesk@hudsondental.example", "https://hudsondental.example",
          "Ann Rivera", "no", "dentrix"]  # fmt: skip
SAMPLE = [
    [*HUDSON, "FRONTDESK"],
    [*HUDSON, "IMAGING"],  # same practice, second server: a second sync
    ["Bright Kids Orthodontics", "400 Broadway", "", "Troy", "NY", "12180", "(518) 555-0142",
     "office@brightkids.example", "brightkids.example", "Sam Lee", "no", "athena", ""],
]  # fmt: skip


def sample_rows() -> Iterator[list[str]]:
    """Two practices; the first has two servers, so two rows make two syncs."""
    yield COLUMNS
    yield from SAMPLE


def created_syncs(batch: ImportBatch) -> list[Sync]:
    ids = (batch.summary or {}).get("sync_ids", [])
    if not ids:
        return []
    return db.session.scalars(
        select(Sync)
        .where(Sync.id.in_(ids))
        .options(selectinload(Sync.institution))
        .order_by(Sync.id)
    ).all()


def product_key_rows(batch: ImportBatch) -> Iterator[list[str]]:
    """One line per sync the import created: what a practice's IT needs to install it."""
    yield ["institution", "subdomain", "system", "server_name", "install", "product_key"]
    for sync in created_syncs(batch):
        yield [
            sync.institution.name,
            sync.institution.subdomain,
            catalogue.name_of(sync.ehr),
            sync.server_name,
            sync.install_method.value,
            keys.product_key(sync) or "",
        ]
