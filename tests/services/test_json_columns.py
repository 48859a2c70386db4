"""JSON columns are written by the engines' serializer (`db_types.json_text`): compact
UTF-8 text that reads back as the same values, through the engines' reader
(`db_types.json_value`), on both databases and on the engines of our own (the request log's
writer, the steady heartbeat)."""

import math

from sqlalchemy import select, text

from portal import engines
from portal.db_types import json_text, json_value
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit

DETAILS = {"name": "Café ☕ Dental", "count": 3, "ratio": 0.5, "flags": [True, None]}


def test_a_json_value_is_stored_compact_and_reads_back_the_same(app):
    audit.record("institution.created", actor=None, **DETAILS)
    db.session.commit()
    newest = "SELECT CAST(details AS TEXT) FROM audit_events ORDER BY id DESC LIMIT 1"
    stored = db.session.scalar(text(newest))
    assert stored == '{"name":"Café ☕ Dental","count":3,"ratio":0.5,"flags":[true,null]}'
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.details == DETAILS


def test_every_engine_writes_and_reads_json_with_them(app):
    for engine in (db.engine, engines.own("test-json")):
        assert engine.dialect._json_serializer is json_text
        assert engine.dialect._json_deserializer is json_value


def test_text_written_before_the_serializer_still_reads_back():
    # The standard library wrote NaN as a bare word (SQLite kept it; PostgreSQL refuses it),
    # which strict JSON readers refuse.
    details = json_value('{"ratio": NaN, "big": 123456789012345678901234567890}')
    assert math.isnan(details["ratio"]) and details["big"] == 123456789012345678901234567890
    assert json_value(b'{"name": "Caf\xc3\xa9"}') == {"name": "Café"}
