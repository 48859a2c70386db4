import pytest

from portal import config, create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app("production")


@pytest.mark.parametrize("base_url", [None, "", "portal.example.com", "ftp://portal.example.com"])
def test_production_refuses_to_start_without_an_absolute_base_url(monkeypatch, base_url):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "s3cret")
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", base_url)
    with pytest.raises(RuntimeError, match="BASE_URL must be set"):
        create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")


@pytest.mark.parametrize("sender", ["Acme, Inc. <ops@acme.test>", "SyncPortal", ""])
def test_a_sender_that_is_not_one_address_is_refused_at_start(sender):
    with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER must be one address"):
        create_app("test", MAIL_DEFAULT_SENDER=sender)


@pytest.mark.parametrize(
    "sender", ['"Acme, Inc." <ops@acme.test>', "no-reply@acme.test", "Zoë <zoe@acme.test>"]
)
def test_a_sender_that_is_one_address_starts(sender):
    assert create_app("test", MAIL_DEFAULT_SENDER=sender).config["MAIL_DEFAULT_SENDER"] == sender


def test_production_cookies_are_secure_and_http_only(monkeypatch):
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "s3cret")
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "https://portal.example.com")
    app = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/portal")
    assert config._database_url() == "postgresql+psycopg://u:p@db/portal"
