"""Every setting, read from the environment, with safe local defaults.

Development and tests may run without secrets; production refuses to start without them.
"""

import os
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from portal.db_types import json_text, json_value

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'syncportal.db'}")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = os.environ.get("SYNCPORTAL_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Fernet keys for credentials stored at rest, newest first (comma-separated); the newest
    # encrypts, all decrypt (`flask rotate-encryption` moves everything to the newest).
    # ENCRYPTION_KEY is the older single-key setting; without either, SECRET_KEY derives one.
    ENCRYPTION_KEYS = os.environ.get("ENCRYPTION_KEYS", "")
    ENCRYPTION_KEY = os.environ.get("ENCRYPTION_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # hide_parameters: a logged database error shows its SQL but never the values bound to it.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": False,  # no round trip before each use: `portal.engines.watch`
        "hide_parameters": True,
        "json_serializer": json_text,
        "json_deserializer": json_value,
    }
    # SQLite: how long a write waits for another process's write to finish before failing.
    SQLITE_BUSY_TIMEOUT_SECONDS = _int("SQLITE_BUSY_TIMEOUT_SECONDS", 60)
    # Where emailed links point; required in production (requests never choose it).
    BASE_URL = os.environ.get("BASE_URL")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _int("MAIL_PORT", 8025)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "SyncPortal <no-reply@syncportal.local>"
    )
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 10)
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", False)
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)

    # `flask worker`: how often an idle worker looks for work, and how long a claim on an
    # email batch or a job lasts before other workers take its worker for stopped (the
    # batch's emails then fail, as the server may have them; the job goes back in the queue).
    WORKER_POLL_SECONDS = _float("WORKER_POLL_SECONDS", 1.0)
    OUTBOX_CLAIM_SECONDS = _int("OUTBOX_CLAIM_SECONDS", 600)
    JOB_CLAIM_SECONDS = _int("JOB_CLAIM_SECONDS", 900)
    JOB_MAX_ATTEMPTS = _int("JOB_MAX_ATTEMPTS", 3)

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 6 * 1024 * 1024)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session

    LOGIN_MAX_FAILURES_PER_ACCOUNT = _int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50)
    LOGIN_LOCKOUT_SECONDS = _int("LOGIN_LOCKOUT_SECONDS", 300)
    # How often each process writes its buffered request log entries.
    REQUEST_LOG_FLUSH_SECONDS = _float("REQUEST_LOG_FLUSH_SECONDS", 1.0)
    # Staff sign in with an authenticator code as well as the password.
    STAFF_TWO_FACTOR = _bool("STAFF_TWO_FACTOR", True)
    # Argon2id cost; the defaults are argon2-cffi's (about 50 ms and 64 MiB per hash).
    PASSWORD_HASH_TIME_COST = _int("PASSWORD_HASH_TIME_COST", 3)
    PASSWORD_HASH_MEMORY_KIB = _int("PASSWORD_HASH_MEMORY_KIB", 65536)
    PASSWORD_RESET_TTL_MINUTES = _int("PASSWORD_RESET_TTL_MINUTES", 60)
    INVITATION_TTL_DAYS = _int("INVITATION_TTL_DAYS", 7)
    SYNC_STALE_MINUTES = _float("SYNC_STALE_MINUTES", 30)
    # Times on pages read in this zone ("3 Dec, 10:00 EST"); they are stored in UTC.
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "America/New_York")
    # Where a practice's IT downloads the Synchronizer installer (printed on the install page).
    SYNCHRONIZER_DOWNLOAD_URL = os.environ.get(
        "SYNCHRONIZER_DOWNLOAD_URL", "https://downloads.syncportal.example/synchronizer/"
    )
    # How often the worker looks for syncs that went stale or recovered (alerts).
    SYNC_ALERT_CHECK_SECONDS = _int("SYNC_ALERT_CHECK_SECONDS", 60)
    # A production write the Synchronizer has not reported on by then is marked timed out;
    # the worker looks for such writes every PENDING_WRITE_CHECK_SECONDS.
    PENDING_WRITE_TIMEOUT_SECONDS = _int("PENDING_WRITE_TIMEOUT_SECONDS", 15 * 60)
    PENDING_WRITE_CHECK_SECONDS = _int("PENDING_WRITE_CHECK_SECONDS", 30)
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 10_000)
    IMPORT_MAX_FIELD = _int("IMPORT_MAX_FIELD", 500)

    # Webhooks: HTTPS targets with public addresses only (loopback is for local receivers in
    # development and tests, and production refuses it), a short timeout, a capped read of
    # the answer, and how long a worker's claim on a delivery lasts before another retries.
    WEBHOOK_REQUIRE_HTTPS = True
    WEBHOOK_ALLOW_LOOPBACK = False
    WEBHOOK_TIMEOUT_SECONDS = _float("WEBHOOK_TIMEOUT_SECONDS", 5)
    WEBHOOK_RESPONSE_MAX_BYTES = _int("WEBHOOK_RESPONSE_MAX_BYTES", 4096)
    WEBHOOK_CLAIM_SECONDS = _int("WEBHOOK_CLAIM_SECONDS", 300)
    # Life of a hosted onboarding link (NexHealth's: three months).
    ONBOARDING_LINK_DAYS = _int("ONBOARDING_LINK_DAYS", 90)

    # Refusals audited per kind (failed sign-in, forged form...) and client address per
    # minute: beyond it a flood is refused without filling the audit table.
    AUDIT_DENIALS_PER_MINUTE = _int("AUDIT_DENIALS_PER_MINUTE", 20)

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count in each process until it is back (the API keeps answering), and
    # never let a hung Redis hold a request for long.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A thread that meets the outage just after another switched to the fallback gets the
    # storage error itself: let that one request through (logged) rather than answer 500.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    # API limits per key (per address for /api/authenticates), in the limits library's syntax.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "100/second;5000/minute")
    API_RECORDS_RATE_LIMIT = os.environ.get("API_RECORDS_RATE_LIMIT", "100/second;1000/minute")
    API_AUTH_RATE_LIMIT = os.environ.get("API_AUTH_RATE_LIMIT", "10/second;100/minute")

    # Operations: log level, error reports, and how many proxies in front set X-Forwarded-*.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SENTRY_DSN = os.environ.get("SENTRY_DSN")
    TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)


LOCAL_BASE_URL = "http://127.0.0.1:5000"


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or "dev-only-secret-key-change-me"
    BASE_URL = Config.BASE_URL or LOCAL_BASE_URL
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # Without a mail server of your own, the worker records emails as sent without sending:
    # read them on ops' Outbound email page.
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", "MAIL_SERVER" not in os.environ)
    WEBHOOK_REQUIRE_HTTPS = _bool("WEBHOOK_REQUIRE_HTTPS", False)
    WEBHOOK_ALLOW_LOOPBACK = _bool("WEBHOOK_ALLOW_LOOPBACK", True)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    BASE_URL = LOCAL_BASE_URL
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_PORT = 1  # nothing listens there unless a test starts an SMTP server
    MAIL_SUPPRESS_SEND = False  # tests talk to a real SMTP server (aiosmtpd)
    # Cheap hashes keep hundreds of sign-ups per run fast; the algorithm stays the same.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 1024
    MAIL_TIMEOUT_SECONDS = 2
    RATELIMIT_ENABLED = True
    # A write waits for the longest import a test runs, however busy the machine is.
    SQLITE_BUSY_TIMEOUT_SECONDS = 600
    WEBHOOK_REQUIRE_HTTPS = False
    WEBHOOK_ALLOW_LOOPBACK = True  # local receivers; the target-safety tests turn it off
    STAFF_TWO_FACTOR = False  # staff tests sign in with one factor; two-factor tests turn it on


class ProductionConfig(Config):
    # Read so that it can be refused: production never sends webhooks to loopback.
    WEBHOOK_ALLOW_LOOPBACK = _bool("WEBHOOK_ALLOW_LOOPBACK", False)
    REFUSES_LOOPBACK_WEBHOOKS = True


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def check_base_url(value: str | None) -> None:
    """Refuse to start without an absolute http(s) BASE_URL: emailed links are built from it."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(
            "BASE_URL must be set outside development and tests, to the portal's public "
            "address such as https://portal.example.com (emailed links are built from it)."
        )


def check_sender(value: str | None) -> None:
    """Refuse a MAIL_DEFAULT_SENDER that is not one address: an unquoted comma in the name
    would otherwise send every email from whatever came before the comma."""
    name, address = parseaddr(value or "")
    if "@" not in address:
        raise RuntimeError(
            "MAIL_DEFAULT_SENDER must be one address, such as "
            "'SyncPortal <no-reply@example.com>' (quote a name with a comma in it: "
            "'\"Acme, Inc.\" <no-reply@example.com>')."
        )


def load(name: str | None = None) -> type[Config]:
    return CONFIGS[name or Config.ENV_NAME]
