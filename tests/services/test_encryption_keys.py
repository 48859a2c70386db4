"""ENCRYPTION_KEYS (newest first) and `flask rotate-encryption`."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from portal import config, create_app
from portal.extensions import db
from portal.models import AuditEvent, EnrollmentStatus, Sync, SyncStage
from portal.services.syncs import keys as syncs
from tests.onboarding import enrollment_in, sync_in, upgraded

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(app):
    saved = app.config["ENCRYPTION_KEYS"], app.config["ENCRYPTION_KEY"]
    yield lambda *listed: app.config.update(ENCRYPTION_KEYS=",".join(listed), ENCRYPTION_KEY=None)
    app.config["ENCRYPTION_KEYS"], app.config["ENCRYPTION_KEY"] = saved


def stored_syncs(count: int) -> list[tuple[Sync, str]]:
    dev = upgraded("Keys Co", "k@keys.example")
    enrollment = enrollment_in(dev, EnrollmentStatus.INSTALLING)
    made = [sync_in(enrollment, "dentrix", SyncStage.INSTALLING, f"SRV{i}") for i in range(count)]
    return [(sync, syncs.product_key(sync)) for sync in made]


def test_rotation_moves_every_stored_secret_to_the_newest_key(app, keys):
    keys(OLD)
    stored = stored_syncs(3)
    keys(NEW, OLD)  # the new key encrypts from now on; the old one still decrypts
    assert [syncs.product_key(sync) for sync, _ in stored] == [raw for _, raw in stored]

    result = app.test_cli_runner().invoke(args=["rotate-encryption"])
    assert result.exit_code == 0 and "3 stored secrets re-encrypted" in result.output

    keys(NEW)  # the old key is gone: everything still reads
    db.session.expire_all()
    assert [syncs.product_key(sync) for sync, _ in stored] == [raw for _, raw in stored]
    for sync, _ in stored:
        with pytest.raises(InvalidToken):
            Fernet(OLD).decrypt(sync.product_key_encrypted.encode())
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "encryption.rotated"))


def test_rotation_refuses_when_a_secrets_key_was_removed_too_early(app, keys):
    keys(OLD)
    stored_syncs(1)
    keys(NEW)
    result = app.test_cli_runner().invoke(args=["rotate-encryption"])
    assert result.exit_code == 1 and "keep the old key in ENCRYPTION_KEYS" in result.output


def test_the_app_refuses_to_start_with_a_malformed_key(monkeypatch):
    monkeypatch.setattr(config.TestConfig, "ENCRYPTION_KEYS", "not-a-fernet-key")
    with pytest.raises(RuntimeError, match="ENCRYPTION_KEYS"):
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
