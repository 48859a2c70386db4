"""The ops console's webhook lists: every organization's endpoints (turned-off ones on their
own tile) and deliveries (failing ones filtered), in words, for staff only."""

import re

import pytest

from portal.extensions import db
from portal.services.accounts import users
from portal.services.webhooks import outcomes
from tests.conftest import PASSWORD, login, signup
from tests.webhook_receiver import Receiver
from tests.webhooks_world import deliver, hooked, patient_created


@pytest.fixture
def staff(app):
    users.create_staff("olive@ops.example", PASSWORD)
    client = app.test_client()
    login(client, "olive@ops.example")
    return client


@pytest.fixture
def receivers():
    started = [Receiver(answers=[500]).start(), Receiver(answers=[200]).start()]
    yield started
    for receiver in started:
        receiver.stop()


def _rows(page: str) -> set[str]:
    return set(re.findall(r"/details/\?id=(\d+)", page))


@pytest.fixture
def two_organizations(receivers):
    failing = hooked(receivers[0])
    healthy = hooked(receivers[1], user=signup("Fine Apps", "finn@fine.example"))
    patient_created(failing)
    patient_created(healthy)
    deliver()
    spare = hooked(receivers[1], user=signup("Gone Apps", "gus@gone.example")).endpoint
    outcomes.turn_off(spare, "The receiver answered HTTP 503.")
    db.session.commit()
    return failing, healthy, spare


def test_staff_see_turned_off_endpoints_of_every_organization(staff, two_organizations):
    failing, healthy, spare = two_organizations
    everything = staff.get("/ops/webhook-endpoints/").get_data(as_text=True)
    assert _rows(everything) == {str(e.id) for e in (failing.endpoint, healthy.endpoint, spare)}
    off = staff.get("/ops/webhook-endpoints/?flt0_on_equals=0").get_data(as_text=True)
    assert _rows(off) == {str(spare.id)}
    assert "Gone Apps" in off and "Deliveries failed for 48 hours" in off
    assert "secret" not in off.lower()


def test_staff_see_failing_deliveries_across_organizations_in_words(staff, two_organizations):
    failing, healthy, _ = two_organizations
    page = staff.get("/ops/webhook-deliveries/?flt0_failing_is=yes").get_data(as_text=True)
    assert len(_rows(page)) == 1
    assert "Hook Apps" in page and "Fine Apps" not in page
    assert "Patient created" in page and "The receiver answered HTTP 500." in page
    assert "patient_created" not in page and "Ignored the filter" not in page
    everything = staff.get("/ops/webhook-deliveries/").get_data(as_text=True)
    assert len(_rows(everything)) == 2 and "Fine Apps" in everything


def test_the_ops_home_counts_webhook_trouble(staff, two_organizations):
    home = staff.get("/ops/").get_data(as_text=True)
    tiles = dict(
        re.findall(r'data-testid="queue-(webhook-[a-z-]+)">.*?queue-size">(\d+)<', home, re.S)
    )
    assert tiles == {"webhook-endpoints-turned-off": "1", "webhook-deliveries-failing": "1"}


def test_developers_cannot_open_the_ops_webhook_lists(client, two_organizations):
    failing, _, _ = two_organizations
    login(client, failing.admin.email)
    for url in ("/ops/webhook-endpoints/", "/ops/webhook-deliveries/"):
        assert client.get(url).status_code in (302, 403)
