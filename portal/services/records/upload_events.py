"""Events for the records an upload created or changed, as `record_events` words them, with
the batch shaped once for every grantee: a thousand patients are one SELECT of the API
list's plain rows, one pass through its shaping and one INSERT per event name and grantee.

What can be read is read before the batch writes (`prepare`), what needs the written rows
after (`record`): on SQLite the one writer lock is then held for the writes alone. Changed
patients are read as they are stored and given what the batch changes; new rows, and other
records (an appointment's shape follows its relationships), are read back once written."""

from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from sqlalchemy import select

from portal.extensions import db
from portal.models import Location
from portal.records import Patient
from portal.services import bulk, events
from portal.services.records import record_events
from portal.services.records.upload_rows import CHUNK, Changes


@dataclass
class News:
    """The events a batch will record: (name, foreign ids, the rows as they will be when
    known beforehand) in order, for each of `receivers`."""

    model: type
    location: Location
    receivers: list
    parts: list[tuple[str, list[str], list | None]] = field(default_factory=list)


def prepare(model: type, location: Location, names: tuple, changes: Changes, now: datetime):
    """The events `names` (created, updated; None for none) of what `changes` will write at
    `now`, for every organization that holds an active grant for `location`; None if none."""
    created_event, updated_event = names
    wanted = [(created_event, [*changes.created]), (updated_event, [*changes.updated])]
    wanted = [(name, foreign_ids) for name, foreign_ids in wanted if name and foreign_ids]
    if not wanted:
        return None
    receivers = [enrollment.organization for enrollment in record_events.grantees(location)]
    if not receivers:
        return None
    news = News(model, location, receivers)
    for name, foreign_ids in wanted:
        changed = model is Patient and name == updated_event
        rows = _changed_patients(location, changes, now) if changed else None
        news.parts.append((name, foreign_ids, rows))
    return news


def record(news: News | None) -> None:
    """Record the prepared events, the batch written."""
    if news is None:
        return
    institution = news.location.institution
    for name, foreign_ids, rows in news.parts:
        payloads = _payloads(news.model, news.location, foreign_ids, rows)
        for organization in news.receivers:
            events.record_all(
                name,
                organization=organization,
                mode=institution.mode,
                institution=institution,
                payloads=payloads,
            )


def _changed_patients(location: Location, changes: Changes, now: datetime) -> list | None:
    """The changed patients as the API list reads them, as they will be once written: the
    stored row with the fields the batch changes, stamped `now`. None when the list's rows
    do not name every field to change (they are then read back once written)."""
    from portal.api.shapes import timestamp  # the API's shapes import the services

    stored = _listed(location, list(changes.updated))
    if not stored:
        return []
    index = {name: position for position, name in enumerate(next(iter(stored.values()))._fields)}
    fields = changes.changed
    if fields is None:
        fields = sorted(set().union(*(values for _, values in changes.updated.values())))
    if not {*fields, "updated_at_text"} <= index.keys():
        return None
    times = {"updated_at_text": timestamp(now), "updated_at": now}  # the stored one if read
    stamp = [(index[name], value) for name, value in times.items() if name in index]
    rows = []
    for foreign_id, (_, values) in changes.updated.items():
        row = list(stored[foreign_id])
        for name in values if changes.changed is None else fields:
            value = values[name]
            if name == "date_of_birth":  # the list reads dates as text
                value = None if value is None else value.isoformat()
            row[index[name]] = value
        for position, value in stamp:
            row[position] = value
        rows.append(row)
    return rows


def _payloads(model: type, location: Location, foreign_ids: list[str], rows) -> list[dict]:
    """The rows of `foreign_ids`, in that order, as their events carry them; read back now
    unless given as the API list reads patients."""
    from portal.api import patient_shapes  # the API's shapes import the services

    if model is Patient:
        if rows is None:
            found = _listed(location, foreign_ids)
            rows = [found[f] for f in foreign_ids]
        shaped = patient_shapes.patients(rows, location)
        return [{"patient": patient} for patient in msgspec.to_builtins(shaped)]
    found = {}
    for chunk in bulk.chunks(foreign_ids, CHUNK):
        query = (
            select(model)
            .where(model.location_id == location.id, bulk.one_of(model.foreign_id, chunk))
            .execution_options(populate_existing=True)
        )
        found.update((row.foreign_id, row) for row in db.session.scalars(query))
    return [record_events.payload(found[f], location) for f in foreign_ids]


def _listed(location: Location, foreign_ids: list[str]) -> dict:
    """The location's patients of `foreign_ids` as the API list reads them, by foreign id."""
    from portal.services.records.patient_search import LISTED

    found = {}
    for chunk in bulk.chunks(foreign_ids, CHUNK):
        query = select(*LISTED).where(
            Patient.location_id == location.id, bulk.one_of(Patient.foreign_id, chunk)
        )
        found.update((row.foreign_id, row) for row in db.session.execute(query))
    return found
