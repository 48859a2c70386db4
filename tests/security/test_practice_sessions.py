"""Practice sessions end like user sessions: a sign-out kills every copy of the cookie, and
a consent decision keeps its evidence (address, browser, consent text version shown)."""

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AccessRequest, AuditEvent, Enrollment, EnrollmentStatus, RequestStatus
from portal.services.onboarding import consent
from portal.services.onboarding.consent_evidence import CONSENT_TEXT_VERSION
from tests.conftest import csrf_token
from tests.onboarding import live_practice, upgraded

BROWSER = "Mozilla/5.0 (Practice Desk) Firefox/140.0"


def _signed_in_practice(app, mailbox):
    practice = live_practice("desk@shared.example")
    client = app.test_client()
    client.post(
        "/practice/",
        data={"csrf_token": csrf_token(client, "/practice/"), "email": "desk@shared.example"},
    )
    path = (
        "/practice/sign-in/"
        + mailbox.bodies_to("desk@shared.example")[0].split("/practice/sign-in/")[1].split()[0]
    )
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert "Apps connected" in client.get("/practice/").get_data(as_text=True)
    return practice, client


def test_signing_out_ends_every_copy_of_the_practice_session(app, mailbox):
    _, client = _signed_in_practice(app, mailbox)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert "Apps connected" in thief.get("/practice/").get_data(as_text=True)

    signed_out = client.post(
        "/practice/sign-out", data={"csrf_token": csrf_token(client, "/practice/")}
    )
    assert signed_out.status_code == 302
    assert "Apps connected" not in thief.get("/practice/").get_data(as_text=True)
    assert "Apps connected" not in client.get("/practice/").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "practice.signed_out" in actions


def test_a_copied_cookie_cannot_act_after_sign_out(app, mailbox):
    practice, client = _signed_in_practice(app, mailbox)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    token = csrf_token(thief, "/practice/")
    client.post("/practice/sign-out", data={"csrf_token": csrf_token(client, "/practice/")})
    alpha = db.session.scalars(
        select(Enrollment).where(Enrollment.institution_id == practice.id)
    ).one()
    revoke = thief.post(f"/practice/apps/{alpha.id}/revoke", data={"csrf_token": token})
    assert (revoke.status_code, revoke.location) == (302, "/practice/")
    db.session.refresh(alpha)
    assert alpha.status is EnrollmentStatus.LIVE


def test_a_practice_session_still_expires_after_twelve_hours(app, mailbox, monkeypatch):
    _, client = _signed_in_practice(app, mailbox)
    later = clock.now() + timedelta(hours=12, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "Apps connected" not in client.get("/practice/").get_data(as_text=True)


def _requested(mailbox):
    practice = live_practice("desk@shared.example")
    consent.request_access(practice, actor=upgraded("Bravo Apps", "b@bravo.example"))
    body = mailbox.bodies_to("desk@shared.example")[-1]
    return practice, "/practice/requests/" + body.split("/practice/requests/")[1].split()[0]


def test_a_decision_by_link_keeps_address_browser_and_consent_text_version(client, mailbox):
    _, path = _requested(mailbox)
    page = client.get(path).get_data(as_text=True)
    assert f"Consent text version {CONSENT_TEXT_VERSION}" in page
    client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "decision": "grant",
            "consent_version": CONSENT_TEXT_VERSION,
        },
        headers={"User-Agent": BROWSER},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    request = db.session.scalars(select(AccessRequest)).one()
    assert request.status is RequestStatus.APPROVED
    assert (request.decided_ip, request.decided_user_agent, request.consent_text_version) == (
        "198.51.100.7",
        BROWSER,
        CONSENT_TEXT_VERSION,
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.granted")
    ).one()
    assert event.details["user_agent"] == BROWSER
    assert event.details["consent_text"] == CONSENT_TEXT_VERSION


def test_a_decision_from_a_page_with_another_consent_text_changes_nothing(client, mailbox):
    _, path = _requested(mailbox)
    for version in ("", "2020-01-01"):
        response = client.post(
            path,
            data={
                "csrf_token": csrf_token(client, path),
                "decision": "grant",
                "consent_version": version,
            },
        )
        assert response.status_code == 409
        assert "consent text has changed" in response.get_data(as_text=True)
    assert db.session.scalars(select(AccessRequest)).one().status is RequestStatus.PENDING


def test_a_decision_from_the_apps_page_keeps_its_evidence_too(app, mailbox):
    practice, client = _signed_in_practice(app, mailbox)
    consent.request_access(practice, actor=upgraded("Bravo Apps", "b@bravo.example"))
    request = db.session.scalars(select(AccessRequest)).one()
    client.post(
        f"/practice/apps/{request.id}/deny",
        data={
            "csrf_token": csrf_token(client, "/practice/"),
            "consent_version": CONSENT_TEXT_VERSION,
        },
        environ_base={"HTTP_USER_AGENT": "Agent\tWith\x00Breaks\x7f " + "x" * 600},
    )
    db.session.refresh(request)
    assert request.status is RequestStatus.REJECTED
    assert request.consent_text_version == CONSENT_TEXT_VERSION
    assert request.decided_user_agent.startswith("Agent With Breaks x")
    assert len(request.decided_user_agent) == 400
