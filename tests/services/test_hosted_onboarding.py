"""Hosted onboarding: a link created with a production key, completed by the practice
without signing in, its status following the enrollment and sync, and its expiry."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    EnrollmentStatus,
    Event,
    Mode,
    Onboarding,
    OnboardingStatus,
    SyncStage,
)
from portal.services import Forbidden, NotFound, secrets
from portal.services.accounts import api_keys
from portal.services.onboarding import hosted, hosted_setup, institutions
from portal.services.records.api_access import Caller, InvalidField
from portal.services.syncs import keys
from tests.onboarding import ADDRESS, enrollment_in, live_practice, upgraded

NEW_PRACTICE = {"name": "Harbor Dental", **ADDRESS, "phone_number": "(518) 555-0142"}


def caller_for(user, mode=Mode.PRODUCTION) -> Caller:
    return Caller.of(api_keys.create(user.organization, mode, actor=user).key)


@pytest.fixture
def developer():
    return upgraded("Acme Apps", "admin@acme.example")


def _token(onboarding: Onboarding) -> str:
    return secrets.decrypt(onboarding.token_encrypted)


def _events() -> list[str]:
    return list(db.session.scalars(select(Event.name).order_by(Event.id)))


def test_an_onboarding_with_full_details_creates_the_institution_and_enrollment(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    enrollment = onboarding.enrollment
    assert enrollment.institution.name == "Harbor Dental"
    assert enrollment.status is EnrollmentStatus.NEEDS_SYNC
    assert enrollment.organization_id == developer.organization_id
    assert onboarding.status is OnboardingStatus.IN_PROGRESS
    summary = hosted.summary(onboarding)
    assert summary["subdomain"] == enrollment.institution.subdomain
    assert summary["url"] == f"http://127.0.0.1:5000/setup/{_token(onboarding)}"
    assert len(_token(onboarding)) >= 40  # unguessable
    assert _events() == ["onboarding_created"]


def test_the_setup_link_is_built_from_base_url(app, developer):
    app.config["BASE_URL"] = "https://portal.example.com/"
    try:
        onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
        assert hosted.url_of(onboarding).startswith("https://portal.example.com/setup/")
    finally:
        app.config["BASE_URL"] = "http://127.0.0.1:5000"


def test_sandbox_keys_cannot_create_onboardings(developer):
    with pytest.raises(Forbidden, match="production keys"):
        hosted.create(caller_for(developer, Mode.SANDBOX), hosted.Wanted(details=NEW_PRACTICE))


def test_a_name_alone_leaves_the_practice_to_complete_its_details(developer):
    onboarding = hosted.create(
        caller_for(developer), hosted.Wanted(details={"name": "Harbor Dental", "zip_code": "12207"})
    )
    assert onboarding.enrollment is None and hosted.summary(onboarding)["subdomain"] is None
    hosted_setup.complete_details(onboarding, NEW_PRACTICE)
    assert onboarding.enrollment.institution.name == "Harbor Dental"
    assert _events() == ["onboarding_created", "onboarding_updated"]


def test_details_given_by_the_developer_must_already_be_right(developer):
    with pytest.raises(institutions.InvalidDetails) as refused:
        hosted.create(
            caller_for(developer),
            hosted.Wanted(details={"name": "Harbor Dental", "zip_code": "ABC"}),
        )
    assert set(refused.value.errors) == {"zip_code"}
    assert db.session.scalar(select(Onboarding.id)) is None


def test_a_practice_already_live_is_asked_for_consent_instead(developer):
    shared = live_practice()
    details = {**NEW_PRACTICE, "name": "Shared Smiles", "phone_number": shared.phone_number}
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=details))
    assert onboarding.institution_id == shared.id
    assert onboarding.enrollment.status is EnrollmentStatus.AWAITING_CONSENT
    assert hosted.status_for(onboarding) is OnboardingStatus.IN_PROGRESS
    onboarding.enrollment.status = EnrollmentStatus.LIVE
    assert hosted.status_for(onboarding) is OnboardingStatus.COMPLETE


def test_a_subdomain_reached_by_the_key_adds_an_install_to_that_institution(developer):
    enrollment = enrollment_in(developer, EnrollmentStatus.LIVE, "Lake Dental")
    onboarding = hosted.create(
        caller_for(developer), hosted.Wanted(subdomain=enrollment.institution.subdomain)
    )
    assert onboarding.enrollment_id == enrollment.id
    sync = hosted_setup.choose_system(onboarding, ehr="eaglesoft", server_name="SERVER2")
    assert sync.institution_id == enrollment.institution_id


def test_a_subdomain_the_key_does_not_reach_is_refused(developer):
    other = upgraded("Other Co", "o@other.example")
    theirs = enrollment_in(other, EnrollmentStatus.LIVE, "Their Dental").institution
    with pytest.raises(Forbidden):
        hosted.create(caller_for(developer), hosted.Wanted(subdomain=theirs.subdomain))


def test_an_unknown_system_is_refused_by_name(developer):
    with pytest.raises(InvalidField, match="emr_name"):
        hosted.create(
            caller_for(developer), hosted.Wanted(details=NEW_PRACTICE, emr_name="dolphin")
        )


def test_the_practice_installs_a_self_installer_with_the_product_key_shown(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    found = hosted.by_link(_token(onboarding))
    sync = hosted_setup.choose_system(found, ehr="opendental", server_name="FRONTDESK")
    assert keys.product_key(sync) and sync.status is SyncStage.INSTALLING
    assert found.enrollment.status is EnrollmentStatus.INSTALLING
    with pytest.raises(Exception, match="already chosen"):
        hosted_setup.choose_system(found, ehr="dentrix", server_name="OTHER")
    sync.status = SyncStage.ACTIVE
    db.session.commit()
    assert hosted.follow(found) and found.status is OnboardingStatus.COMPLETE
    assert hosted.follow(found) is False  # told once
    assert _events() == ["onboarding_created", "onboarding_updated", "onboarding_updated"]


def test_the_practice_enters_cloud_credentials_the_developer_never_sees(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    sync = hosted_setup.choose_system(onboarding, ehr="denticon")
    assert sync.status is SyncStage.NEEDS_CREDENTIALS
    hosted_setup.submit_credentials(
        onboarding, url="https://harbor.denticon.com", username="itadmin", password="s3cret!"
    )
    assert sync.status is SyncStage.INSTALLING
    assert (
        sync.credentials_password_encrypted and "s3cret!" not in sync.credentials_password_encrypted
    )
    assert onboarding.enrollment.status is EnrollmentStatus.INSTALLING


def test_bad_credentials_change_nothing(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    hosted_setup.choose_system(onboarding, ehr="denticon")
    before = _events()
    with pytest.raises(Exception, match="web address"):
        hosted_setup.submit_credentials(onboarding, url="nonsense", username="a", password="b")
    assert _events() == before


def test_the_link_dies_when_it_expires(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    token = _token(onboarding)
    with clock.travel(timedelta(days=89)):
        assert hosted.by_link(token).id == onboarding.id
    with clock.travel(timedelta(days=91)), pytest.raises(hosted.LinkExpired):
        hosted.by_link(token)
    with pytest.raises(NotFound):
        hosted.by_link(token[:-2] + "xx")


def test_a_deactivated_enrollment_fails_the_onboarding(developer):
    onboarding = hosted.create(caller_for(developer), hosted.Wanted(details=NEW_PRACTICE))
    onboarding.enrollment.status = EnrollmentStatus.DEACTIVATED
    db.session.commit()
    assert hosted.follow_all() == 1
    assert db.session.get(Onboarding, onboarding.id).status is OnboardingStatus.FAILED
