"""Forms report every problem at once, each saying what is wrong."""

from tests.conftest import csrf_token, login, signup
from tests.onboarding import upgraded


def test_the_institution_form_reports_every_field_at_once(client):
    upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    form = {
        "csrf_token": csrf_token(client, "/portal/institutions/add/"),
        "name": "Hudson Dental",
        "street_address": "12 River Road",
        "city": "",  # the form's own check
        "state": "NY",
        "zip_code": "12",  # the service's rules, at the same time
        "phone_number": "555",
        "website": "not a site",
    }
    page = client.post("/portal/institutions/add/", data=form).get_data(as_text=True)
    for message in (
        "Enter the city.",
        "Use a 5-digit ZIP code",
        "Use a 10-digit US phone number",
        "Enter a web address",
    ):
        assert message in page, message


def test_numbers_and_lengths_say_their_bounds(client):
    signup("Alpha Apps", "alice@alpha.example")  # in test mode: the upgrade page asks
    login(client, "alice@alpha.example")
    form = {
        "csrf_token": csrf_token(client, "/portal/upgrade/"),
        "legal_name": "x" * 300,
        "billing_email": "billing@alpha.example",
        "expected_practices": "0",
    }
    page = client.post("/portal/upgrade/", data=form).get_data(as_text=True)
    assert "Enter a number from 1 to 100,000." in page
    assert "Use at most 200 characters." in page
    assert "This field is required" not in page
