"""The hosted onboarding page: no sign-in, the practice completes its details, picks its
system, sees its product key or enters its cloud credentials; the link expires."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import EnrollmentStatus, Institution, Mode, Onboarding, SyncStage
from portal.services import secrets
from portal.services.accounts import api_keys
from portal.services.onboarding import hosted
from portal.services.records.api_access import Caller
from portal.services.syncs import keys
from tests.conftest import csrf_token, login
from tests.onboarding import ADDRESS, enrollment_in, upgraded

DETAILS = {
    "name": "Harbor Dental",
    **ADDRESS,
    "phone_number": "(518) 555-0142",
    "street_address_2": "",
    "email": "",
    "website": "",
    "contact_name": "",
}


@pytest.fixture
def developer():
    return upgraded("Acme Apps", "admin@acme.example", "Ada Admin")


def _link(developer, **details) -> tuple[Onboarding, str]:
    key = api_keys.create(developer.organization, Mode.PRODUCTION, actor=developer).key
    caller = Caller.of(key)
    onboarding = hosted.create(caller, hosted.Wanted(details=details or {"name": "Harbor Dental"}))
    return onboarding, f"/setup/{secrets.decrypt(onboarding.token_encrypted)}"


def _post(client, path: str, page: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_a_practice_completes_a_cloud_setup_and_the_developer_sees_it_installing(client, developer):
    onboarding, page = _link(developer)
    first = client.get(page)
    assert first.status_code == 200 and "Step 1 of 3" in first.get_data(as_text=True)
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert _post(client, f"{page}/details", page, DETAILS).status_code == 302
    assert "Step 2 of 3" in client.get(page).get_data(as_text=True)
    _post(client, f"{page}/system", page, {"ehr": "denticon", "server_name": ""})
    assert "Step 3 of 3: Denticon access" in client.get(page).get_data(as_text=True)
    credentials = {"url": "https://harbor.denticon.com", "username": "it", "password": "pw-123"}
    _post(client, f"{page}/credentials", page, credentials)
    assert "Our engineers install" in client.get(page).get_data(as_text=True)

    login(client, developer.email)
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    listing = client.get("/portal/institutions/?tab=in_progress").get_data(as_text=True)
    assert "Harbor Dental" in listing and "Installing" in listing
    db.session.expire_all()
    onboarding = db.session.get(Onboarding, onboarding.id)
    assert onboarding.enrollment.status is EnrollmentStatus.INSTALLING
    assert onboarding.sync.status is SyncStage.INSTALLING
    detail = client.get(f"/portal/institutions/{onboarding.enrollment_id}/").get_data(as_text=True)
    assert "pw-123" not in detail


def test_a_practice_the_developer_cannot_set_up_now_is_told_whom_to_ask(client, developer):
    # The developer's own institution with this phone number waits for another consent.
    waiting = enrollment_in(developer, EnrollmentStatus.AWAITING_CONSENT, "Harbor Group")
    waiting.institution.phone_digits = "5185550142"
    db.session.commit()
    _, page = _link(developer)
    answer = _post(client, f"{page}/details", page, DETAILS)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Please contact Acme Apps, who sent it; nothing you entered was saved." in text
    assert "Harbor Group" not in text and "awaiting consent" not in text
    assert 'value="(518) 555-0142"' in text  # what the practice typed is still there
    assert db.session.scalar(select(func.count(Institution.id)).where(
        Institution.name == "Harbor Dental")) == 0  # fmt: skip


def test_a_self_installer_shows_its_product_key_and_steps_never_cached(client, developer):
    onboarding, page = _link(developer, **DETAILS)
    _post(client, f"{page}/system", page, {"ehr": "opendental", "server_name": "FRONTDESK"})
    shown = client.get(page)
    db.session.expire_all()
    key = keys.product_key(db.session.get(Onboarding, onboarding.id).sync)
    assert key in shown.get_data(as_text=True) and "FRONTDESK" in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"


def test_wrong_details_are_named_and_nothing_is_created(client, developer):
    _, page = _link(developer)
    answer = _post(client, f"{page}/details", page, {**DETAILS, "zip_code": "ABCDE"})
    assert answer.status_code == 400 and "5-digit ZIP code" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Institution.id)).where(
        Institution.name == "Harbor Dental")) == 0  # fmt: skip


def test_an_on_premises_system_without_a_server_name_is_refused(client, developer):
    _, page = _link(developer, **DETAILS)
    answer = _post(client, f"{page}/system", page, {"ehr": "dentrix", "server_name": ""})
    assert answer.status_code == 400 and "server name" in answer.get_data(as_text=True)


def test_the_link_dies_after_it_expires_and_a_wrong_link_is_not_found(client, developer):
    _, page = _link(developer, **DETAILS)
    with clock.travel(timedelta(days=91)):
        expired = client.get(page)
        refused = client.post(f"{page}/system", data={"ehr": "opendental"})
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert refused.status_code in (400, 410)
    assert client.get(page[:-3] + "abc").status_code == 404


def test_steps_without_a_csrf_token_are_refused(client, developer):
    _, page = _link(developer, **DETAILS)
    assert client.post(f"{page}/system", data={"ehr": "opendental"}).status_code == 400
