"""Records a Synchronizer uploads from the practice's system: batches of one kind for one of
its locations, upserted by `foreign_id` (the id in the health record system).

A batch is checked in full before anything changes, and applied in one transaction; the same
batch twice changes nothing the second time. Deleted records of the practice are inactivated
where the reference keeps them (providers, operatories, patients, working hours) and removed
where it does not (appointment types, appointments).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Location, RecordUpload, Sync, SyncStage
from portal.records import Appointment, AppointmentType, Operatory, Patient, Provider, WorkingHour
from portal.services import Forbidden, InvalidTransition, bulk, commit
from portal.services.records import upload_events, upload_rows
from portal.services.records.api_access import InvalidField


def _inactivate(name: str, value) -> Callable:
    def remove(row) -> bool:
        if getattr(row, name) == value:
            return False
        setattr(row, name, value)
        return True

    return remove


def _delete(row) -> bool:
    db.session.delete(row)
    return True


@dataclass(frozen=True)
class Kind:
    model: type
    remove: Callable  # what a deletion in the practice does to our row; True if it changed
    refs: dict[str, type] = field(default_factory=dict)  # `provider` -> Provider
    created_event: str | None = None
    updated_event: str | None = None


# Each kind of record a Synchronizer uploads, in the order a first upload needs them.
KINDS: dict[str, Kind] = {
    "providers": Kind(Provider, _inactivate("inactive", True)),
    "operatories": Kind(Operatory, _inactivate("active", False)),
    "appointment_types": Kind(AppointmentType, _delete),
    "working_hours": Kind(
        WorkingHour,
        _inactivate("active", False),
        refs={"provider": Provider, "operatory": Operatory},
    ),
    "patients": Kind(
        Patient,
        _inactivate("inactive", True),
        refs={"provider": Provider},
        created_event="patient_created",
        updated_event="patient_updated",
    ),
    "appointments": Kind(
        Appointment,
        _delete,
        refs={
            "patient": Patient,
            "provider": Provider,
            "operatory": Operatory,
            "appointment_type": AppointmentType,
        },
        created_event="appointment_created",
        updated_event="appointment_updated",
    ),
}


@dataclass(frozen=True)
class Batch:
    kind: str
    location_foreign_id: str
    records: list[dict]  # column values; references as `<name>_foreign_id`
    deleted: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


def upload(sync: Sync, batch: Batch) -> Outcome:
    """Upsert a batch of records for one of the sync's locations and record the upload.

    Raises InvalidTransition for a sync that is not active, Forbidden for a location that is
    not the sync's own, InvalidField for a foreign id given twice, a reference to a record
    the location does not have, or an appointment that ends before it starts.
    """
    if sync.status is not SyncStage.ACTIVE:
        raise InvalidTransition("Records are accepted from an active Synchronizer only.")
    with bulk.collector_paused():
        return _upload(sync, batch)


def _upload(sync: Sync, batch: Batch) -> Outcome:
    kind = KINDS[batch.kind]
    location = _own_location(sync, batch.location_foreign_id)
    _refuse_duplicates(batch)
    table = kind.model.__table__
    changes = upload_rows.compare(table, location.id, _resolved(location, kind, batch.records))
    now = clock.now()
    # The first upload of a kind is the practice's existing data; what later ones bring is news.
    # Its events are prepared from reads before anything is written (see upload_events).
    note = _last_note(sync, location, batch.kind)
    names = (kind.created_event, kind.updated_event)
    news = upload_events.prepare(kind.model, location, names, changes, now) if note else None
    removed = _remove(kind, location, batch.deleted)
    outcome = Outcome(
        created=len(changes.created),
        updated=len(changes.updated),
        removed=removed,
        unchanged=changes.unchanged + len(batch.deleted) - removed,
    )
    upload_rows.write(table, location.id, changes, now)
    _note_upload(note, sync, location, batch.kind, outcome)
    upload_events.record(news)
    commit()
    return outcome


def _remove(kind: Kind, location: Location, foreign_ids: list[str]) -> int:
    """Apply the practice's deletions to the rows they name; how many changed."""
    if not foreign_ids:
        return 0
    query = select(kind.model).where(
        kind.model.location_id == location.id, bulk.one_of(kind.model.foreign_id, foreign_ids)
    )
    return sum(kind.remove(row) for row in db.session.scalars(query))


def _own_location(sync: Sync, foreign_id: str) -> Location:
    location = db.session.scalar(
        select(Location).where(Location.sync_id == sync.id, Location.foreign_id == foreign_id)
    )
    if location is None:
        raise Forbidden(
            f"Location {foreign_id} is not one of this Synchronizer's locations; report it in "
            "a heartbeat first."
        )
    return location


def _refuse_duplicates(batch: Batch) -> None:
    seen: set[str] = set()
    for index, record in enumerate(batch.records):
        if record["foreign_id"] in seen:
            raise InvalidField(f"records[{index}].foreign_id", "is given twice in this batch.")
        seen.add(record["foreign_id"])
    for index, foreign_id in enumerate(batch.deleted):
        if foreign_id in seen:
            raise InvalidField(f"deleted[{index}]", "is also among the records, or given twice.")
        seen.add(foreign_id)


def _resolved(location: Location, kind: Kind, records: list[dict]) -> dict[str, dict]:
    """Each record's column values by foreign id, its references turned into our ids."""
    refs = [  # (name, the field sent, our column, our ids by foreign id)
        (
            name,
            f"{name}_foreign_id",
            f"{name}_id",
            _ids(model, location, f"{name}_foreign_id", records),
        )
        for name, model in kind.refs.items()
    ]
    resolved = {}
    for index, record in enumerate(records):
        values = dict(record)
        foreign_id = values.pop("foreign_id")
        for name, sent, ours, lookup in refs:
            wanted = values.pop(sent, None)
            values[ours] = None if wanted is None else lookup.get(wanted)
            if wanted is not None and values[ours] is None:
                raise InvalidField(
                    f"records[{index}].{sent}",
                    f"names no {name.replace('_', ' ')} uploaded for this location.",
                )
        if kind.model is Appointment and values["end_time"] <= values["start_time"]:
            raise InvalidField(f"records[{index}].end_time", "must be after start_time.")
        resolved[foreign_id] = values
    return resolved


def _ids(model, location: Location, field: str, records: list[dict]) -> dict[str, int]:
    wanted = list({record.get(field) for record in records} - {None})
    if not wanted:
        return {}
    found = db.session.execute(
        select(model.foreign_id, model.id).where(
            model.location_id == location.id, bulk.one_of(model.foreign_id, wanted)
        )
    )
    return dict(found.tuples().all())


def _last_note(sync: Sync, location: Location, kind: str) -> RecordUpload | None:
    """What the last upload of `kind` to `location` did, if there was one."""
    return db.session.scalar(
        select(RecordUpload).where(
            RecordUpload.sync_id == sync.id,
            RecordUpload.location_id == location.id,
            RecordUpload.kind == kind,
        )
    )


def _note_upload(
    note: RecordUpload | None, sync: Sync, location: Location, kind: str, outcome: Outcome
) -> None:
    """Keep what this upload did (for the consoles), in the last upload's note if any."""
    if note is None:
        note = RecordUpload(sync_id=sync.id, location_id=location.id, kind=kind)
        db.session.add(note)
    note.received_at = clock.now()
    for name, count in outcome.as_dict().items():
        setattr(note, name, count)


def last_uploads(sync: Sync) -> list[RecordUpload]:
    """What the sync uploaded last, per location and kind (for the consoles)."""
    order = list(KINDS)
    rows = db.session.scalars(select(RecordUpload).where(RecordUpload.sync_id == sync.id)).all()
    return sorted(rows, key=lambda u: (u.location_id, order.index(u.kind)))
