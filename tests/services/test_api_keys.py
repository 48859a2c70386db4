import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from portal import clock
from portal.extensions import db
from portal.models import Mode
from portal.services import Conflict, Forbidden
from portal.services.accounts import api_keys
from tests.conftest import signup


def test_a_key_has_a_readable_prefix_enough_randomness_and_a_checksum(org_admin):
    new = api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    assert new.raw.startswith("sp_test_") and len(new.raw) == 8 + 30 + 6
    assert api_keys.well_formed(new.raw)
    tampered = new.raw[:-1] + ("A" if new.raw[-1] != "A" else "B")
    assert not api_keys.well_formed(tampered)
    assert api_keys.find_usable(tampered) is None
    assert api_keys.find_usable(new.raw).id == new.key.id
    assert new.key.last_four == new.raw[-4:] and new.key.last_used_at is not None


def test_one_current_key_per_organization_and_mode(org_admin):
    api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    with pytest.raises(Conflict, match="Rotate it instead"):
        api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)


def test_production_keys_wait_for_the_upgrade(org_admin):
    with pytest.raises(Forbidden):
        api_keys.create(org_admin.organization, Mode.PRODUCTION, actor=org_admin)
    org_admin.organization.production_enabled = True
    assert api_keys.create(org_admin.organization, Mode.PRODUCTION, actor=org_admin).raw.startswith(
        "sp_live_"
    )


def test_rotating_now_kills_the_old_key_at_once(org_admin):
    old = api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    new = api_keys.rotate(old.key, actor=org_admin, grace="now")
    assert api_keys.find_usable(old.raw) is None
    assert api_keys.find_usable(new.raw).id == new.key.id
    with pytest.raises(Conflict):
        api_keys.rotate(old.key, actor=org_admin, grace="now")


def test_a_rotated_key_works_until_its_grace_period_ends(org_admin):
    old = api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin)
    api_keys.rotate(old.key, actor=org_admin, grace="1h")
    with clock.travel(timedelta(minutes=59)):
        assert api_keys.find_usable(old.raw) is not None
    with clock.travel(timedelta(minutes=61)):
        assert api_keys.find_usable(old.raw) is None


def test_no_plaintext_key_in_any_table_or_log(org_admin, caplog):
    caplog.set_level(logging.DEBUG)
    other = signup("Other", "o@other.example")
    raws = [api_keys.create(org_admin.organization, Mode.SANDBOX, actor=org_admin).raw]
    raws.append(
        api_keys.rotate(
            api_keys.current_key(org_admin.organization, Mode.SANDBOX), actor=org_admin, grace="24h"
        ).raw
    )
    raws.append(api_keys.create(other.organization, Mode.SANDBOX, actor=other).raw)
    dump = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            dump.append(repr(tuple(row)))
    dump = "\n".join(dump) + caplog.text
    for raw in raws:
        assert raw not in dump and raw[8:38] not in dump
