"""POST /onboardings and GET /onboardings[/{hashid}]: hosted setup links created with a
production key, listed newest first and read back with their status, per organization."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    Event,
    Institution,
    Mode,
    Onboarding,
    SyncStage,
)
from portal.services.accounts import api_keys
from portal.services.onboarding import consent, hosted, hosted_setup
from tests.api.conftest import Api, bearer_token
from tests.onboarding import ADDRESS, enrollment_in, live_practice, upgraded

NEW = {
    "institution_name": "Harbor Dental",
    "institution_zip_code": "12207",
    "institution_email": "office@harbor.example",
}
FULL = NEW | {
    "institution_street_address": "1 Main St",
    "institution_city": "Albany",
    "institution_state": "NY",
    "institution_phone_number": "(518) 555-0142",
}


def production_api(client, org: str, email: str) -> Api:
    admin = upgraded(org, email)
    key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin)
    api = Api(client, bearer_token(client, key.raw))
    api.admin = admin
    return api


@pytest.fixture
def production(client) -> Api:
    return production_api(client, "Acme Apps", "admin@acme.example")


def create(api: Api, **onboarding):
    return api.post("/onboardings", {"onboarding": onboarding})


def test_an_onboarding_is_created_with_its_setup_link(production):
    response = create(production, **NEW, emr_name="curve2")
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert set(data) == {
        "id",
        "created_at",
        "subdomain",
        "url",
        "url_expires_at",
        "status",
        "booking_params",
        "availability_ready_at",
    }
    assert data["status"] == "in_progress" and data["subdomain"] is None
    assert data["url"].startswith("http://127.0.0.1:5000/setup/")
    row = db.session.scalar(select(Onboarding).where(Onboarding.public_id == data["id"]))
    assert row.emr_name == "curve2" and row.details["name"] == "Harbor Dental"
    assert db.session.scalars(select(Event.name)).all() == ["onboarding_created"]
    shown = production.get(f"/onboardings/{data['id']}").get_json()["data"]
    assert shown == data


def test_full_details_create_the_institution_at_once(production):
    data = create(production, **FULL).get_json()["data"]
    row = db.session.scalar(select(Onboarding).where(Onboarding.public_id == data["id"]))
    assert row.enrollment.institution.name == "Harbor Dental"
    assert data["subdomain"] == row.enrollment.institution.subdomain
    assert row.enrollment.status is EnrollmentStatus.NEEDS_SYNC


def institutions_named(name: str) -> list[str]:
    return db.session.scalars(select(Institution.subdomain).where(Institution.name == name)).all()


def test_a_practice_the_organization_has_is_set_up_there_not_entered_twice(production):
    first = create(production, **FULL).get_json()["data"]
    # The same phone number under another name.
    again = create(production, **FULL, emr_name="curve2")
    renamed = create(production, **FULL | {"institution_name": "Harbor Dental Care"})
    for response in (again, renamed):
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["data"]["subdomain"] == first["subdomain"]
    assert institutions_named("Harbor Dental") == [first["subdomain"]]
    assert institutions_named("Harbor Dental Care") == []
    public_id = renamed.get_json()["data"]["id"]
    row = db.session.scalar(select(Onboarding).where(Onboarding.public_id == public_id))
    sync = hosted_setup.choose_system(row, ehr="curve2")  # the practice's IT, on the page
    assert sync.institution.subdomain == first["subdomain"]


def test_a_practice_the_organization_has_that_takes_no_sync_is_refused(production):
    enrollment_in(production.admin, EnrollmentStatus.AWAITING_CONSENT, "Harbor Dental")
    response = create(production, **FULL)
    assert response.status_code == 409
    assert response.get_json()["error"] == [
        "Acme Apps already has this practice: Harbor Dental has the same phone number, or the "
        "same name and ZIP code. Harbor Dental is awaiting consent: cannot "
        "add a sync."
    ]
    assert len(institutions_named("Harbor Dental")) == 1
    assert db.session.scalar(select(db.func.count(Onboarding.id))) == 0


def test_a_live_practice_that_declined_is_asked_again_not_entered_twice(client, mailbox):
    practice = live_practice()  # Shared Smiles, at tests.onboarding's ADDRESS
    admin = upgraded("Acme Apps", "admin@acme.example")
    key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin)
    consent.request_access(practice, actor=admin)
    answer = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1]
    consent.decide_by_link(answer.split()[0], grant=False)
    details = {f"institution_{name}": value for name, value in ADDRESS.items()}
    details |= {"institution_name": "Shared Smiles", "institution_email": "desk@shared.example"}
    paused = create(Api(client, bearer_token(client, key.raw)), **details)
    assert paused.status_code == 429
    assert paused.get_json()["error"][0].startswith("Shared Smiles declined your request on ")
    with clock.travel(timedelta(days=1, minutes=1)):  # the pause is over (a new token too)
        asked = create(Api(client, bearer_token(client, key.raw)), **details)
        assert len(mailbox.bodies_to("desk@shared.example")) == 2
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["data"]["subdomain"] == practice.subdomain
    assert len(institutions_named("Shared Smiles")) == 1
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == admin.organization_id,
            Enrollment.institution_id == practice.id,
        )
    )
    assert enrollment.status is EnrollmentStatus.AWAITING_CONSENT


def test_a_practice_onboarded_again_after_its_deactivation_is_a_new_institution(production):
    old = enrollment_in(production.admin, EnrollmentStatus.DEACTIVATED, "Harbor Dental")
    data = create(production, **FULL).get_json()["data"]
    assert data["subdomain"] not in (None, old.institution.subdomain)
    assert len(institutions_named("Harbor Dental")) == 2
    # From then on the new one is the practice (the older, deactivated one is passed over).
    again = create(production, **FULL).get_json()["data"]
    assert again["subdomain"] == data["subdomain"]
    assert len(institutions_named("Harbor Dental")) == 2


def test_sandbox_keys_cannot_create_or_see_onboardings(client, production):
    made = create(production, **NEW).get_json()["data"]
    admin = production.admin
    key = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin)
    sandbox = Api(client, bearer_token(client, key.raw))
    refused = create(sandbox, **NEW)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == ["Only production keys create onboardings."]
    assert sandbox.get("/onboardings").get_json()["data"] == []
    assert sandbox.get(f"/onboardings/{made['id']}").status_code == 404


def test_another_organizations_onboardings_are_not_found(client, production):
    theirs = production_api(client, "Beta Labs", "bob@beta.example")
    made = create(theirs, **NEW).get_json()["data"]
    assert production.get("/onboardings").get_json()["data"] == []
    assert production.get(f"/onboardings/{made['id']}").status_code == 404
    assert production.get("/onboardings/not-an-id!").status_code == 404


def test_onboardings_page_newest_first_and_filter(production):
    ids = [create(production, **NEW).get_json()["data"]["id"] for _ in range(3)]
    for number, public_id in enumerate(ids):  # distinct creation times, oldest first
        row = db.session.scalar(select(Onboarding).where(Onboarding.public_id == public_id))
        row.created_at = clock.now() - timedelta(minutes=10 - number)
    db.session.commit()
    first = production.get("/onboardings", per_page=2).get_json()
    assert [o["id"] for o in first["data"]] == [ids[2], ids[1]]
    assert first["page_info"]["has_next_page"] is True
    rest = production.get("/onboardings", per_page=2, end_cursor=first["page_info"]["end_cursor"])
    assert [o["id"] for o in rest.get_json()["data"]] == [ids[0]]
    oldest = production.get("/onboardings", sort="created_at", per_page=1).get_json()["data"]
    assert [o["id"] for o in oldest] == [ids[0]]
    assert production.get("/onboardings", status="complete").get_json()["data"] == []
    assert len(production.get("/onboardings", status="in_progress").get_json()["data"]) == 3


def test_onboardings_of_an_institution_are_found_by_subdomain(production):
    made = create(production, **FULL).get_json()["data"]
    create(production, **NEW)
    found = production.get("/onboardings", subdomain=made["subdomain"]).get_json()["data"]
    assert [o["id"] for o in found] == [made["id"]]


def test_a_subdomain_the_key_reaches_adds_a_system_there(client):
    admin = upgraded("Lake Apps", "lee@lake.example")
    enrollment = enrollment_in(admin, EnrollmentStatus.LIVE, "Lake Dental")
    key = api_keys.create(admin.organization, Mode.PRODUCTION, actor=admin)
    api = Api(client, bearer_token(client, key.raw))
    subdomain = enrollment.institution.subdomain
    data = create(api, subdomain=subdomain, institution_name="ignored").get_json()["data"]
    assert data["subdomain"] == subdomain
    other = upgraded("Other Apps", "oz@other.example")
    theirs = enrollment_in(other, EnrollmentStatus.LIVE, "Their Dental").institution.subdomain
    assert create(api, subdomain=theirs).status_code == 403


def test_bad_onboardings_are_refused_by_field(production):
    assert create(production).get_json()["error"] == [
        "onboarding needs institution_name (a new practice) or subdomain."
    ]
    bad_system = create(production, **NEW, emr_name="paper")
    assert bad_system.status_code == 400
    assert bad_system.get_json()["error"][0].startswith("onboarding.emr_name must be one of")
    bad_email = create(production, institution_name="X", institution_email="nope")
    assert bad_email.get_json()["error"] == [
        "onboarding.institution_email must be an email address."
    ]
    assert production.post("/onboardings", {}).get_json()["error"] == ["onboarding is required."]
    assert production.get("/onboardings", per_page=0).status_code == 400
    assert production.get("/onboardings", status="done").status_code == 400
    assert db.session.scalar(select(db.func.count(Onboarding.id))) == 0


def test_the_status_read_back_follows_the_practice(production):
    made = create(production, **FULL).get_json()["data"]
    row = db.session.scalar(select(Onboarding).where(Onboarding.public_id == made["id"]))
    hosted_setup.choose_system(row, ehr="curve2")
    hosted_setup.submit_credentials(
        row, url="https://curve.example", username="it", password="pw-1"
    )
    path = f"/onboardings/{made['id']}"
    assert production.get(path).get_json()["data"]["status"] == "in_progress"
    row.sync.status = SyncStage.ACTIVE  # the cloud sync reported (as its agent would)
    db.session.commit()
    assert hosted.follow_all() == 1
    assert production.get(path).get_json()["data"]["status"] == "complete"
    assert (
        production.get("/onboardings", status="complete").get_json()["data"][0]["id"] == made["id"]
    )
