"""Endpoint secrets and setup links are stored encrypted and move with the encryption key
(`flask rotate-encryption`), so deliveries stay signed and links keep working."""

import pytest
from cryptography.fernet import Fernet, InvalidToken

from portal.extensions import db
from portal.models import Mode
from portal.services import secrets
from portal.services.accounts import api_keys
from portal.services.onboarding import hosted
from portal.services.records.api_access import Caller
from portal.services.webhooks import endpoints
from tests.onboarding import upgraded

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(app):
    saved = app.config["ENCRYPTION_KEYS"], app.config["ENCRYPTION_KEY"]
    yield lambda *listed: app.config.update(ENCRYPTION_KEYS=",".join(listed), ENCRYPTION_KEY=None)
    app.config["ENCRYPTION_KEYS"], app.config["ENCRYPTION_KEY"] = saved


def test_rotation_re_encrypts_endpoint_secrets_and_setup_links(app, keys):
    keys(OLD)
    admin = upgraded("Keys Co", "k@keys.example")
    created = endpoints.create(
        admin.organization, Mode.SANDBOX, target_url="http://127.0.0.1:9/h", by=admin
    )
    caller = Caller.of(api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin).key)
    onboarding = hosted.create(caller, hosted.Wanted(details={"name": "Key Dental"}))
    link = hosted.url_of(onboarding)
    keys(NEW, OLD)
    result = app.test_cli_runner().invoke(args=["rotate-encryption"])
    assert result.exit_code == 0, result.output
    keys(NEW)
    db.session.expire_all()
    assert endpoints.secret_of(created.endpoint) == created.secret
    assert hosted.url_of(onboarding) == link
    assert hosted.by_link(link.rsplit("/", 1)[1]).id == onboarding.id
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(created.endpoint.secret_encrypted.encode())
    assert secrets.digest(link.rsplit("/", 1)[1]) == onboarding.token_digest
