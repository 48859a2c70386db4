"""Events for the records an upload created or changed, as `record_events` words them, with
the batch read back and shaped once for every grantee: a batch of a thousand patients is
one SELECT of plain rows, one pass through the API's shape and one INSERT per event name and
grantee."""

import msgspec
from sqlalchemy import select

from portal.extensions import db
from portal.models import Location
from portal.records import Patient
from portal.services import events
from portal.services.records import record_events
from portal.services.records.upload_rows import chunks


def announce(model: type, location: Location, news: dict[str, list[str]]) -> None:
    """Record each event of `news` (foreign ids of `model`'s rows by event name, the rows
    already written) to every organization that holds an active grant for `location`."""
    news = {name: foreign_ids for name, foreign_ids in news.items() if name and foreign_ids}
    if not news:
        return
    receivers = [enrollment.organization for enrollment in record_events.grantees(location)]
    if not receivers:
        return
    payloads = _payloads(model, location, [f for foreign_ids in news.values() for f in foreign_ids])
    institution = location.institution
    start = 0
    for name, foreign_ids in news.items():
        part = payloads[start : start + len(foreign_ids)]
        start += len(foreign_ids)
        for organization in receivers:
            events.record_all(
                name,
                organization=organization,
                mode=institution.mode,
                institution=institution,
                payloads=part,
            )


def _payloads(model: type, location: Location, foreign_ids: list[str]) -> list[dict]:
    """The rows of `foreign_ids`, in that order, as their events carry them."""
    if model is Patient:  # the busy path: plain rows through the API list's own shaping
        # The API's shapes import the services: read them when needed, not at import time.
        from portal.api import patient_shapes
        from portal.services.records.patient_search import LISTED

        found = {}
        for chunk in chunks(foreign_ids):
            query = select(*LISTED).where(
                Patient.location_id == location.id, Patient.foreign_id.in_(chunk)
            )
            found.update((row.foreign_id, row) for row in db.session.execute(query))
        shaped = patient_shapes.patients([found[f] for f in foreign_ids], location)
        return [{"patient": patient} for patient in msgspec.to_builtins(shaped)]
    # Other records' shapes follow their relationships (an appointment names its provider).
    found = {}
    for chunk in chunks(foreign_ids):
        query = (
            select(model)
            .where(model.location_id == location.id, model.foreign_id.in_(chunk))
            .execution_options(populate_existing=True)
        )
        found.update((row.foreign_id, row) for row in db.session.scalars(query))
    return [record_events.payload(found[f], location) for f in foreign_ids]
