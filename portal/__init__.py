"""SyncPortal: the developer portal for onboarding practices onto the Synchronizer."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as settings
from portal import cookie_sessions, engines, observability, reads, sqlite_pragmas
from portal.extensions import csrf, db, limiter, login_manager, mail, migrate


def create_app(config: type[settings.Config] | str | None = None, **overrides) -> Flask:
    """Build the app. Reads top to bottom as the list of what SyncPortal is made of."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(settings.INSTANCE),
    )
    load_config(app, config, overrides)
    register_operations(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_admin(app)
    register_commands(app)
    return app


def load_config(app: Flask, config, overrides: dict) -> None:
    # Settings come from the environment; production refuses to start without a secret key
    # or without the address its emailed links point to, and any app with a sender that is
    # not one address.
    app.config.from_object(config if isinstance(config, type) else settings.load(config))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development and tests.")
    from portal.services import secrets

    secrets.check_keys(app.config)
    settings.check_base_url(app.config.get("BASE_URL"))
    settings.check_sender(app.config.get("MAIL_DEFAULT_SENDER"))
    if app.config.get("REFUSES_LOOPBACK_WEBHOOKS") and app.config["WEBHOOK_ALLOW_LOOPBACK"]:
        raise RuntimeError("WEBHOOK_ALLOW_LOOPBACK is for development and tests only.")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        settings.INSTANCE.mkdir(exist_ok=True)


def register_operations(app: Flask) -> None:
    # JSON logs with request ids, optional Sentry, and the client's real address when
    # TRUSTED_PROXY_COUNT proxies stand in front (their X-Forwarded-For/-Proto are believed).
    observability.init_app(app)
    if proxies := app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def register_extensions(app: Flask) -> None:
    # Database (pooled connections checked without a round trip, read-only requests in
    # autocommit), migrations, sessions (cookies for the pages only), mail, CSRF on every
    # POST, and API rate limits.
    db.init_app(app)
    sqlite_pragmas.init_app(app)
    engines.init_app(app)
    reads.init_app(app)
    migrate.init_app(app, db, directory=str(settings.ROOT / "migrations"), render_as_batch=True)
    from portal import auth

    cookie_sessions.init_app(app)
    auth.init_login(app, login_manager)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def register_security(app: Flask) -> None:
    # One input layer before every view (text the databases can hold, ids in their range),
    # one guard for every return address, security headers on every response, and
    # JSON-or-HTML error pages.
    from portal import inputs, redirects, security

    inputs.init_app(app)
    redirects.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    # Public pages, sign-in and sign-up, the health checks of the load balancer, and the
    # practice's hosted onboarding page, and each person's two-factor settings.
    from portal import (
        account,
        auth,
        health,
        invitations,
        practice,
        practice_setup,
        public,
        synchronizer,
        synchronizer_uploads,
        synchronizer_writes,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(practice.bp)
    app.register_blueprint(practice_setup.bp)
    app.register_blueprint(synchronizer.bp)
    app.register_blueprint(synchronizer_uploads.bp)
    app.register_blueprint(synchronizer_writes.bp)
    register_api(app)


def register_api(app: Flask) -> None:
    # The JSON API: bearer tokens instead of session cookies, so no CSRF tokens either.
    from portal import api

    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)


def register_admin(app: Flask) -> None:
    # Two Flask-Admin consoles: /portal for organizations, /ops for staff.
    from portal.admin_views import init_admin

    init_admin(app)


def register_commands(app: Flask) -> None:
    # flask worker, demo, create-staff, outbox send, ...
    from portal import cli

    cli.init_app(app)
