"""Deactivating some locations of a live institution: nothing is preselected, ticking a
location means "only these", the confirmation names exactly what stops, and a deactivated
location can be asked for again."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import EnrollmentStatus, Location, SyncStage
from portal.services.onboarding import grants
from tests.e2e.test_onboarding_journeys import production
from tests.e2e.visits import sign_in
from tests.onboarding import enrollment_in, sync_in, upgraded


def _live_with_two_offices():
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE, "Hudson Family Dental")
    sync_in(enrollment, "dentrix", SyncStage.ACTIVE)
    offices = [
        Location(institution=enrollment.institution, foreign_id=str(i), name=name)
        for i, name in ((1, "Hudson Downtown"), (2, "Hudson Uptown"))
    ]
    db.session.add_all(offices)
    db.session.flush()
    grants.grant(enrollment, offices)
    db.session.commit()
    return enrollment


def test_ticking_one_location_deactivates_exactly_it_after_naming_it(page, live_server):
    enrollment = _live_with_two_offices()
    sign_in(page, "alice@alpha.example")
    production(page)
    page.goto(f"/portal/institutions/{enrollment.id}/")
    page.get_by_role("link", name="Deactivate").click()

    whole, some = (
        page.get_by_label("The whole institution"),
        page.get_by_label("Only the locations"),
    )
    expect(whole).not_to_be_checked()
    expect(some).not_to_be_checked()
    page.get_by_label("Hudson Uptown").check()
    expect(some).to_be_checked()
    page.get_by_role("button", name="Review what stops").click()

    expect(page.get_by_test_id("stopping")).to_have_text("Hudson Uptown")
    expect(page.get_by_test_id("billing")).to_contain_text("Billing for 1 location stops now")
    expect(page.get_by_test_id("staying")).to_have_text("Hudson Downtown")
    page.get_by_role("button", name="Deactivate 1 location").click()

    expect(page.get_by_text("Deactivated: Hudson Uptown.")).to_be_visible()
    expect(page.get_by_test_id("enrollment-status")).to_have_text("Live")
    rows = page.locator("tr", has_text="Hudson")
    expect(rows.filter(has_text="Uptown").get_by_test_id("location-access")).to_have_text(
        "Deactivated"
    )
    expect(rows.filter(has_text="Downtown").get_by_test_id("location-access")).to_have_text(
        "Active"
    )

    page.get_by_role("link", name="Activate additional locations").click()
    page.get_by_label("Hudson Uptown").check()
    page.get_by_role("button", name="Request activation").click()
    expect(rows.filter(has_text="Uptown").get_by_test_id("location-access")).to_have_text(
        "Requested"
    )


def test_nothing_is_deactivated_without_a_choice(page, live_server):
    enrollment = _live_with_two_offices()
    sign_in(page, "alice@alpha.example")
    production(page)
    page.goto(f"/portal/institutions/{enrollment.id}/deactivate/")
    page.get_by_role("button", name="Review what stops").click()
    expect(page.get_by_text("Choose the whole institution or the locations")).to_be_visible()
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.LIVE
    assert len(grants.active(enrollment)) == 2
