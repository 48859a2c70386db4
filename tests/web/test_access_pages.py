"""The consent and access pages: developer side (/portal), practice side (/practice), ops."""

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AccessRequest,
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    RequestStatus,
)
from portal.services.accounts import users
from portal.services.onboarding import activations, consent, deactivations
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import ADDRESS, enrollment_in, live_practice


@pytest.fixture
def practice():
    return live_practice()


def create_form(client, **extra):
    data = {"name": "Shared Smiles", **ADDRESS, "email": "", "website": "", "contact_name": ""}
    data.update(csrf_token=csrf_token(client, "/portal/institutions/add/"), **extra)
    return data


def test_creating_a_live_practice_shows_the_match_and_requests_access(
    client, practice, bravo, mailbox
):
    page = client.post("/portal/institutions/add/", data=create_form(client))
    text = page.get_data(as_text=True)
    assert "already run the Synchronizer" in text and "Dentrix" in text and "Albany" in text
    assert "Alpha Apps" not in text  # nothing about other organizations
    response = client.post("/portal/institutions/access/request", data=create_form(client))
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == bravo.organization_id,
            Enrollment.institution_id == practice.id,
        )
    )
    assert response.status_code == 302 and enrollment.status is EnrollmentStatus.AWAITING_CONSENT
    assert mailbox.bodies_to("desk@shared.example")


def test_a_different_practice_is_created_and_the_choice_is_audited(client, practice, bravo):
    client.post("/portal/institutions/add/", data=create_form(client, different_practice="1"))
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "institution.match_dismissed")
    )
    mine = db.session.scalars(
        select(Enrollment).where(
            Enrollment.organization_id == bravo.organization_id,
            Enrollment.institution_id != practice.id,
        )
    ).all()
    assert [e.status for e in mine if e.mode.value == "production"] == [EnrollmentStatus.NEEDS_SYNC]


def test_a_practice_the_organization_has_is_offered_not_created_twice(client, bravo):
    own = enrollment_in(bravo, EnrollmentStatus.NEEDS_SYNC, "Shared Smiles")
    institutions_before = _institutions()
    page = client.post("/portal/institutions/add/", data=create_form(client, name="Shared Smile"))
    text = page.get_data(as_text=True)
    assert "You already have this practice" in text and 'data-testid="yours-name"' in text
    assert f'href="/portal/institutions/{own.id}/"' in text
    assert 'name="not_yours" value="1"' in text
    assert _institutions() == institutions_before
    # "This is a different practice" creates it (the details travel in the form).
    created = client.post(
        "/portal/institutions/add/", data=create_form(client, name="Shared Smile", not_yours="1")
    )
    assert created.status_code == 302 and _institutions() == institutions_before + 1


def test_past_your_own_practice_a_live_match_is_still_shown(client, practice, bravo):
    enrollment_in(bravo, EnrollmentStatus.NEEDS_SYNC, "Shared Smiles")
    page = client.post("/portal/institutions/add/", data=create_form(client, not_yours="1"))
    text = page.get_data(as_text=True)
    assert "already run the Synchronizer" in text
    # Its buttons carry the answer on, so "This is a different practice" does not loop back.
    assert text.count('name="not_yours" value="1"') == 2


def test_another_practice_in_the_same_building_is_created(client, bravo):
    enrollment_in(bravo, EnrollmentStatus.NEEDS_SYNC, "Shared Smiles")
    institutions_before = _institutions()
    other = create_form(client, name="Upstairs Orthodontics", phone_number="(518) 555-0177")
    created = client.post("/portal/institutions/add/", data=other)
    assert created.status_code == 302 and _institutions() == institutions_before + 1


def test_a_deactivated_institution_is_not_offered_again(client, bravo):
    enrollment_in(bravo, EnrollmentStatus.DEACTIVATED, "Shared Smiles")
    institutions_before = _institutions()
    created = client.post("/portal/institutions/add/", data=create_form(client))
    assert created.status_code == 302 and _institutions() == institutions_before + 1


def _institutions() -> int:
    return db.session.scalar(select(db.func.count(Institution.id)))


def test_get_and_head_on_the_consent_link_change_nothing_and_post_grants(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    path = (
        "/practice/requests/"
        + mailbox.bodies_to("desk@shared.example")[0].split("/practice/requests/")[1].split()[0]
    )
    other = client.application.test_client()
    page = other.get(path)
    other.head(path)
    assert page.status_code == 200 and "Bravo Apps asks to connect" in page.get_data(as_text=True)
    assert db.session.scalar(select(AccessRequest.status)) is RequestStatus.PENDING
    token = csrf_token(other, path)
    shown = re.search(r'name="consent_version" value="([^"]+)"', page.get_data(as_text=True))
    decided = other.post(
        path, data={"csrf_token": token, "decision": "grant", "consent_version": shown.group(1)}
    )
    assert decided.status_code == 200 and "Access granted" in decided.get_data(as_text=True)
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.LIVE
    assert other.post(path, data={"csrf_token": token, "decision": "deny"}).status_code == 404


def test_the_practice_signs_in_by_email_and_revokes_an_app(client, practice, mailbox):
    other = client.application.test_client()
    other.post(
        "/practice/",
        data={"csrf_token": csrf_token(other, "/practice/"), "email": "DESK@shared.example"},
    )
    link = (
        "/practice/sign-in/"
        + mailbox.bodies_to("desk@shared.example")[0].split("/practice/sign-in/")[1].split()[0]
    )
    assert "Continue" in other.get(link).get_data(as_text=True)
    assert "Apps connected" not in other.get("/practice/").get_data(
        as_text=True
    )  # GET signed nothing in
    other.post(link, data={"csrf_token": csrf_token(other, link)})
    apps = other.get("/practice/").get_data(as_text=True)
    assert "Apps connected to Shared Smiles" in apps and "Alpha Apps" in apps
    assert other.get(link).status_code == 404  # single use
    alpha = db.session.scalar(select(Enrollment).where(Enrollment.institution_id == practice.id))
    other.post(
        f"/practice/apps/{alpha.id}/revoke", data={"csrf_token": csrf_token(other, "/practice/")}
    )
    db.session.refresh(alpha)
    assert (
        alpha.status is EnrollmentStatus.DEACTIVATED
        and alpha.status_reason == "access revoked by the practice"
    )


def test_a_practice_cannot_act_on_another_practices_apps(client, practice, bravo, mailbox):
    enrollment_elsewhere = enrollment_in(bravo, EnrollmentStatus.LIVE, "Elsewhere Dental")
    other = client.application.test_client()
    other.post(
        "/practice/",
        data={"csrf_token": csrf_token(other, "/practice/"), "email": "desk@shared.example"},
    )
    link = (
        "/practice/sign-in/"
        + mailbox.bodies_to("desk@shared.example")[0].split("/practice/sign-in/")[1].split()[0]
    )
    other.post(link, data={"csrf_token": csrf_token(other, link)})
    response = other.post(
        f"/practice/apps/{enrollment_elsewhere.id}/revoke",
        data={"csrf_token": csrf_token(other, "/practice/")},
        follow_redirects=True,
    )
    assert "No such app" in response.get_data(as_text=True)
    db.session.refresh(enrollment_elsewhere)
    assert enrollment_elsewhere.status is EnrollmentStatus.LIVE


def test_developers_resend_and_cancel_from_the_institution_page(client, practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    page = f"/portal/institutions/{enrollment.id}/"
    assert "Waiting for Shared Smiles to consent" in client.get(page).get_data(as_text=True)
    resend = client.post(
        f"{page}access/resend", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True
    )
    assert "emailed moments ago" in resend.get_data(
        as_text=True
    )  # rate-limited right after sending
    client.post(f"{page}access/cancel", data={"csrf_token": csrf_token(client, page)})
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED


def test_after_a_denial_the_page_says_when_to_ask_again_and_the_post_is_refused(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    raw = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(raw, grant=False)
    page = f"/portal/institutions/{enrollment.id}/"
    shown = client.get(page).get_data(as_text=True)
    assert "Shared Smiles declined your request on " in shown
    assert "You can ask again from " in shown and "Request access again" not in shown
    asked = client.post(
        f"{page}access/again", data={"csrf_token": csrf_token(client, page)}, follow_redirects=True
    )
    assert "until then, call the practice" in asked.get_data(as_text=True)
    assert len(db.session.scalars(select(AccessRequest.id)).all()) == 1
    assert len(mailbox.bodies_to("desk@shared.example")) == 1


def test_activate_and_deactivate_pages_go_through_services_and_confirmations(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide(db.session.scalar(select(AccessRequest.id)), practice=practice, grant=True)
    page = f"/portal/institutions/{enrollment.id}/"
    office1 = practice.locations[0]
    choice = client.get(f"{page}deactivate/").get_data(as_text=True)
    assert "Office 1" in choice and "Office 2" in choice
    assert 'id="scope-all" checked' not in choice  # two ways to go: nothing chosen for you
    form = {"csrf_token": csrf_token(client, page), "location_id": office1.id}
    confirm = client.post(f"{page}deactivate/", data=form).get_data(as_text=True)
    assert "Billing for 1 location stops now" in confirm
    stopping = confirm.split('data-testid="stopping"')[1].split("</ul>")[0]
    assert "Office 1" in stopping and "Office 2" not in stopping
    db.session.refresh(enrollment)
    assert all(g.status is GrantStatus.ACTIVE for g in enrollment.grants)  # not yet
    client.post(f"{page}deactivate/", data={**form, "scope": "some", "confirmed": "1"})
    db.session.refresh(enrollment)
    grants = {g.location.name: g.status for g in enrollment.grants}
    assert (
        grants["Office 1"] is GrantStatus.DEACTIVATED and enrollment.status is EnrollmentStatus.LIVE
    )
    assert "Activate additional locations" in client.get(page).get_data(as_text=True)
    only_way = client.get(f"{page}deactivate/").get_data(as_text=True)
    assert 'id="scope-all" checked' in only_way  # one location left: the whole is the only way
    client.post(
        f"{page}activate/", data={"csrf_token": csrf_token(client, page), "location_id": office1.id}
    )
    assert [loc.name for loc in activations.available_locations(enrollment)] == []


def test_staff_fulfil_activation_requests_and_deactivate_in_bulk(client, practice, bravo, mailbox):
    enrollment = consent.request_access(practice, actor=bravo)
    consent.decide(db.session.scalar(select(AccessRequest.id)), practice=practice, grant=True)
    deactivations.deactivate(enrollment, actor=bravo, location_ids=[practice.locations[0].id])
    activation = activations.request(enrollment, [practice.locations[0].id], actor=bravo)
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    queue = "/ops/activation-requests/"
    client.post(
        f"{queue}action/",
        data={
            "csrf_token": csrf_token(client, queue),
            "action": "fulfil",
            "rowid": [activation.id],
        },
    )
    db.session.refresh(activation)
    assert activation.status is RequestStatus.APPROVED
    listing = "/ops/enrollments/"
    to_confirm = client.post(
        f"{listing}action/",
        data={
            "csrf_token": csrf_token(client, listing),
            "action": "deactivate",
            "rowid": [enrollment.id],
        },
    )
    confirm_page = to_confirm.headers["Location"]
    assert "Shared Smiles" in client.get(confirm_page).get_data(as_text=True)
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.LIVE  # nothing happens before the confirmation
    client.post(confirm_page, data={"csrf_token": csrf_token(client, confirm_page)})
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED
