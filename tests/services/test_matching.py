"""Matching: an existing live practice found by phone, or name or street plus ZIP."""

import pytest

from portal.models import Location, SyncStage
from portal.services import commit
from portal.services.accounts import users
from portal.services.onboarding import matching
from tests.onboarding import institution, sync_in, upgraded


@pytest.fixture
def live_practice():
    owner = upgraded("Alpha Apps", "a@alpha.example")
    enrollment = institution(
        owner,
        "The Smile Co., LLC",
        street_address="100 North Main Street",
        phone_number="+1 (518) 555-0100",
        zip_code="12207",
    )
    sync_in(enrollment, "dentrix", SyncStage.ACTIVE)
    enrollment.institution.locations.append(Location(foreign_id="1", name="Main"))
    commit()
    return enrollment.institution


@pytest.fixture
def bravo():
    return upgraded("Bravo Apps", "b@bravo.example")


def find(org, name="Other", street="9 Elm St", zip_code="12207", phone="(212) 555-0199"):
    return matching.find_match(
        org.organization, name=name, street_address=street, zip_code=zip_code, phone=phone
    )


def test_same_phone_digits_match_whatever_the_formatting(live_practice, bravo):
    assert find(bravo, phone="518.555.0100") == live_practice
    assert find(bravo, phone="1-518-555-0100") == live_practice


def test_same_normalised_name_and_zip_match(live_practice, bravo):
    assert find(bravo, name="the smile co") == live_practice
    assert find(bravo, name="SMILE CO PLLC") == live_practice
    assert find(bravo, name="smile co", zip_code="10001") is None


def test_same_normalised_street_and_zip_match(live_practice, bravo):
    assert find(bravo, street="100 N. Main St") == live_practice
    assert find(bravo, street="100 north main street") == live_practice
    assert find(bravo, street="100 N Main St", zip_code="99999") is None


def test_different_practices_do_not_match(live_practice, bravo):
    assert find(bravo) is None
    assert find(bravo, name="Smile Company") is None


def test_a_practice_without_an_active_sync_is_not_a_match(bravo):
    owner = upgraded("Alpha Apps", "a@alpha.example")
    enrollment = institution(owner, "Installing Dental", phone_number="(518) 555-0123")
    sync_in(enrollment, "dentrix", SyncStage.INSTALLING)
    assert find(bravo, phone="(518) 555-0123") is None


def test_a_match_is_hidden_from_an_organization_already_enrolled(live_practice):
    owner_view = upgraded("Owner Two", "o@two.example")
    assert find(owner_view, phone="(518) 555-0100") == live_practice
    alpha_admin = users.find_user_by_email("a@alpha.example")
    assert find(alpha_admin, phone="(518) 555-0100") is None


def test_a_name_and_a_zip_code_of_two_different_practices_are_no_match(live_practice, bravo):
    other = upgraded("Carol Apps", "c@carol.example")
    enrollment = institution(
        other, "Harbor Dental", zip_code="10001", phone_number="(212) 555-0111"
    )
    sync_in(enrollment, "dentrix", SyncStage.ACTIVE)
    commit()
    asked = [
        matching.Practice("Smile Co", "1 Other Way", "10001", ""),  # name of one, ZIP of other
        matching.Practice("Harbor Dental", "2 Other Way", "12207", ""),
        matching.Practice("Harbor Dental", "3 Other Way", "10001", ""),
    ]
    found = matching.find_matches(bravo.organization, asked)
    assert found == [None, None, enrollment.institution]
