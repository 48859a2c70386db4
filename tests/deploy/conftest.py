"""A production-like deployment on loopback around the test database: Redis, a real SMTP
server, and the Procfile's processes with the README's environment."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Mode
from portal.services.accounts import api_keys
from portal.services.delivery import outbox
from tests.conftest import signup
from tests.deploy.harness import Deployment, RedisServer

PER_SECOND = 2  # the API key's per-second limit here: low, so a busy machine still exceeds it


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def production_env(app, redis_server, mail_settings):
    """The environment the README's deploy section sets, pointed at this machine."""
    return {
        "SYNCPORTAL_ENV": "production",
        "SECRET_KEY": "deploy-test-secret",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "BASE_URL": "http://127.0.0.1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_settings),
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "API_RATE_LIMIT": f"{PER_SECOND}/second;100000/minute",
        "API_RECORDS_RATE_LIMIT": f"{PER_SECOND}/second;100000/minute",
        "WORKER_POLL_SECONDS": "0.3",
        "FLASK_APP": "app.py",
    }


@pytest.fixture
def deployment(production_env):
    running = Deployment(production_env)
    yield running
    running.stop()


@pytest.fixture
def api_key() -> str:
    admin = signup("Load Co", "load@load.example")
    return api_keys.create(admin.organization, Mode.SANDBOX, actor=admin).raw


def queue_emails(count: int) -> None:
    for i in range(count):
        outbox.enqueue(
            "password_reset",
            to=f"reader{i}@example.test",
            subject=f"Reset {i}",
            user={"name": f"Reader {i}"},
            reset_url="http://127.0.0.1/r",
            minutes=60,
        )
    db.session.commit()  # fmt: skip


HOUR = timedelta(hours=1)
