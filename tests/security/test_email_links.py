"""Every absolute link in every email comes from BASE_URL, never from the request: a client
choosing the Host header (`evil.example`) must not receive, or send others, links to it."""

import inspect
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from portal import clock, email
from portal.extensions import db
from portal.models import (
    ActivationRequest,
    Enrollment,
    EnrollmentStatus,
    Invitation,
    Mode,
    OutboundEmail,
    RequestStatus,
    Role,
    SyncStage,
    UpgradeRequest,
)
from portal.services.accounts import invitations
from portal.services.onboarding import consent
from portal.services.syncs import alerts
from portal.services.webhooks import endpoints
from tests.conftest import IsolatedClient, csrf_token, login
from tests.onboarding import enrollment_in, live_practice, sync_in, upgraded

EVIL = "evil.example"
URL = re.compile(r"https?://[^\s\"'<>]+")
# A developer's own webhook target, quoted in the email that says it was turned off.
HOOK_TARGET = "http://127.0.0.1:9/hook"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


def _senders():
    return {
        name
        for name, function in inspect.getmembers(email, inspect.isfunction)
        if function.__module__ == email.__name__ and not name.startswith("_")
    } - {"link", "subject_line"}


def _world():
    """One object of each kind an email is about."""
    practice = live_practice()
    developer = upgraded("Bravo Apps", "b@bravo.example", "Bea")
    enrollment = consent.request_access(practice, actor=developer)
    request = db.session.scalars(select(consent.AccessRequest)).one()
    own = enrollment_in(developer, EnrollmentStatus.LIVE, "Own Dental")
    sync = sync_in(own, "dentrix", SyncStage.ACTIVE)
    sync.confirmed_window_start = clock.now()
    sandbox = db.session.scalars(
        select(Enrollment).where(
            Enrollment.organization_id == developer.organization_id, Enrollment.mode == Mode.SANDBOX
        )
    ).one()
    invitations.invite("new@bravo.example", role=Role.DEVELOPER, actor=developer)
    upgrade = UpgradeRequest(
        organization=developer.organization,
        legal_name="Bravo Apps LLC",
        billing_email="billing@bravo.example",
        status=RequestStatus.APPROVED,
        decided_at=clock.now(),
    )
    activation = ActivationRequest(
        enrollment=enrollment,
        organization=developer.organization,
        status=RequestStatus.APPROVED,
        decided_at=clock.now(),
    )
    db.session.add_all([upgrade, activation])
    db.session.flush()
    return developer, practice, enrollment, request, (sync, own), sandbox, upgrade, activation


def _send_every_email():
    user, practice, enrollment, request, (sync, own), sandbox, upgrade, activation = _world()
    invitation = db.session.scalars(select(Invitation)).one()
    hook = endpoints.create(
        user.organization, Mode.PRODUCTION, target_url=HOOK_TARGET, by=user
    ).endpoint
    down = alerts.Alert(sync, "read", down=True, since=clock.now() - timedelta(hours=2))
    calls = {
        "welcome": lambda: email.welcome(user, sandbox.institution),
        "signup_attempted": lambda: email.signup_attempted(user),
        "password_reset": lambda: email.password_reset(user, "tok", timedelta(hours=1)),
        "invitation": lambda: email.invitation(invitation, "tok", user),
        "upgrade_decided": lambda: email.upgrade_decided(upgrade, user),
        "sync_failed": lambda: email.sync_failed(user, sync, own, "disk full"),
        "credentials_rejected": lambda: email.credentials_rejected(user, sync, own, "wrong"),
        "install_window_confirmed": lambda: email.install_window_confirmed(user, sync, own),
        "sync_installed": lambda: email.sync_installed(user, sync, own),
        "practice_login": lambda: email.practice_login(practice, "tok"),
        "access_requested": lambda: email.access_requested(request, enrollment, "tok"),
        "access_decided": lambda: email.access_decided(enrollment, granted=True),
        "access_revoked": lambda: email.access_revoked(enrollment),
        "activation_decided": lambda: email.activation_decided(activation, user),
        "access_closed": lambda: email.access_closed(enrollment, "expired"),
        "sync_alert": lambda: email.sync_alert(user, down, own),
        "webhook_endpoint_turned_off": lambda: email.webhook_endpoint_turned_off(
            hook, user.organization, "answered 500 for 48 hours"
        ),
    }
    assert set(calls) == _senders(), "a new email sender needs a line here"
    before = db.session.scalar(select(db.func.max(OutboundEmail.id)))
    with current_app.test_request_context("/", base_url=f"http://{EVIL}"):
        for send in calls.values():
            send()
    db.session.flush()
    return db.session.scalars(select(OutboundEmail).where(OutboundEmail.id > before)).all()


def test_every_link_of_every_email_comes_from_base_url_whatever_the_host_header(app):
    emails = _send_every_email()
    base = app.config["BASE_URL"]
    templates = {path.stem for path in TEMPLATES.glob("[!_]*.txt")}
    assert {e.template for e in emails} == templates
    for message in emails:
        for body in (message.body_text, message.body_html):
            links = [link for link in URL.findall(body) if link != HOOK_TARGET]
            assert links, message.template
            assert EVIL not in body, message.template
            assert all(link.startswith(base + "/") for link in links), (message.template, links)


def test_base_url_may_carry_a_path_prefix(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://portal.example.com/sync")
    with current_app.test_request_context("/", base_url=f"http://{EVIL}"):
        assert email.link("auth.reset_password", token="t") == (
            "https://portal.example.com/sync/reset-password/t"
        )


def _outbox_links(address: str) -> list[str]:
    bodies = db.session.scalars(
        select(OutboundEmail.body_text).where(OutboundEmail.recipient == address)
    ).all()
    return [link for body in bodies for link in URL.findall(body)]


class HostileClient(IsolatedClient):
    """A browser whose every request says `Host: evil.example`."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", f"http://{EVIL}")
        return super().open(*args, **kwargs)


@pytest.fixture
def hostile(app):
    return HostileClient(app), {}


def test_a_password_reset_asked_with_a_hostile_host_links_to_base_url(app, hostile):
    upgraded("Alpha Apps", "alice@alpha.example")
    client, host = hostile
    token = csrf_token(client, "/forgot-password")
    client.post(
        "/forgot-password", data={"csrf_token": token, "email": "alice@alpha.example"}, **host
    )
    [reset] = _outbox_links("alice@alpha.example")
    assert reset.startswith(app.config["BASE_URL"] + "/reset-password/")


def test_a_practice_sign_in_asked_with_a_hostile_host_links_to_base_url(app, hostile):
    live_practice("desk@shared.example")
    client, host = hostile
    token = csrf_token(client, "/practice/")
    client.post("/practice/", data={"csrf_token": token, "email": "desk@shared.example"}, **host)
    [sign_in] = _outbox_links("desk@shared.example")
    assert sign_in.startswith(app.config["BASE_URL"] + "/practice/sign-in/")


def test_an_invitation_sent_with_a_hostile_host_links_to_base_url(app, hostile):
    upgraded("Alpha Apps", "alice@alpha.example")
    client, host = hostile
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/users/invite/")
    client.post(
        "/portal/users/invite/",
        data={"csrf_token": token, "email": "new@alpha.example"},
        **host,
    )
    [accept] = _outbox_links("new@alpha.example")
    assert accept.startswith(app.config["BASE_URL"] + "/invitations/")


def test_pages_that_show_an_api_address_use_base_url_not_the_host_header(app, hostile):
    upgraded("Alpha Apps", "alice@alpha.example")
    client, _ = hostile
    login(client, "alice@alpha.example")
    page = client.get("/portal/quickstart/").get_data(as_text=True)
    assert f"{app.config['BASE_URL']}/api/patients" in page and EVIL not in page
    token = csrf_token(client, "/portal/api-key/")
    created = client.post(
        "/portal/api-key/create", data={"csrf_token": token, "mode": "sandbox"}
    ).get_data(as_text=True)
    assert f"{app.config['BASE_URL']}/api/authenticates" in created and EVIL not in created
