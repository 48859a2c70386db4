"""Destructive actions ask first and say what stops: rotating an API key now, cancelling an
invitation, a practice revoking a developer. Keeping changes nothing; confirming acts."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ApiKey,
    Enrollment,
    EnrollmentStatus,
    Invitation,
    InvitationStatus,
    Mode,
    Role,
)
from portal.services.accounts import api_keys, invitations
from portal.services.onboarding import consent, grants
from tests.e2e.test_onboarding_journeys import production
from tests.e2e.visits import click_through, follow, sign_in
from tests.onboarding import live_practice, upgraded


def test_rotating_a_key_now_says_it_stops_at_once_before_it_does(page):
    admin = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    old = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin).key
    sign_in(page, "alice@alpha.example")
    page.goto("/portal/api-key/")
    page.get_by_label("The current key stops working").select_option("now")
    page.get_by_role("button", name="Rotate").click()

    expect(page.get_by_test_id("what-stops")).to_contain_text("stops working now")
    click_through(page.get_by_role("link", name="Keep the current key"))
    db.session.refresh(old)
    assert old.replaced_at is None

    page.get_by_role("button", name="Rotate").click()
    page.get_by_role("button", name="Rotate the key").click()
    expect(page.get_by_text("sp_test_")).not_to_have_count(0)
    db.session.refresh(old)
    assert old.replaced_at is not None
    assert len(db.session.scalars(select(ApiKey)).all()) == 2


def test_cancelling_an_invitation_says_the_link_stops_working(page, mail_settings):
    admin = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    invitation = invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=admin)
    sign_in(page, "alice@alpha.example")
    page.goto("/portal/users/")
    page.get_by_role("button", name="Actions for invitation to new@alpha.example").click()
    page.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_test_id("what-stops")).to_contain_text("stops working now")
    db.session.refresh(invitation)
    assert invitation.status is InvitationStatus.PENDING  # asking changed nothing
    page.get_by_role("button", name="Cancel the invitation").click()
    expect(page.get_by_text("its link no longer works")).to_be_visible()
    db.session.refresh(invitation)
    assert db.session.get(Invitation, invitation.id).status is InvitationStatus.CANCELLED


def test_a_practice_revoking_a_developer_is_told_what_it_stops(browser, live_server, mailbox):
    practice = live_practice()
    grants.grant(practice_enrollment(practice), practice.locations)
    db.session.commit()
    page = browser.new_context(base_url=live_server).new_page()
    page.goto("/practice/")
    page.get_by_label("Your practice's email address").fill("desk@shared.example")
    click_through(page.get_by_role("button", name="Email me a sign-in link"))
    body = mailbox.bodies_to("desk@shared.example")[-1]
    page.goto(re.search(r"http://\S+/practice/sign-in/\S+", body).group(0))
    click_through(page.get_by_role("button", name="Continue"))

    page.get_by_role("link", name="Revoke…").click()
    expect(page.get_by_test_id("what-stops")).to_contain_text(
        "Alpha Apps's app can no longer read or write Shared Smiles's records"
    )
    expect(page.get_by_test_id("what-stops")).to_contain_text("2 locations ends at once")
    enrollment = practice_enrollment(practice)
    assert enrollment.status is EnrollmentStatus.LIVE  # asking changed nothing
    page.get_by_role("button", name="Revoke access").click()
    expect(page.get_by_text("Alpha Apps no longer has access")).to_be_visible()
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.DEACTIVATED


def test_cancelling_an_access_request_asks_first_and_then_offers_asking_again(page, mailbox):
    practice = live_practice()
    bravo = upgraded("Bravo Apps", "bob@bravo.example", "Bob")
    enrollment = consent.request_access(practice, actor=bravo)
    sign_in(page, "bob@bravo.example")
    production(page)
    page.goto(f"/portal/institutions/{enrollment.id}/")

    page.get_by_role("link", name="Cancel request").focus()
    follow(page, lambda: page.keyboard.press("Enter"))  # the keyboard reaches the question
    expect(page.get_by_test_id("what-stops")).to_contain_text("stops working now")
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT  # asking changed nothing
    click_through(page.get_by_role("button", name="Cancel the request"))
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Deactivated")

    click_through(page.get_by_role("button", name="Request access again"))
    expect(page.get_by_test_id("awaiting-consent")).to_be_visible()
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT


def practice_enrollment(practice) -> Enrollment:
    return db.session.scalar(select(Enrollment).where(Enrollment.institution_id == practice.id))
