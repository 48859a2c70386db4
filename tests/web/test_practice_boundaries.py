"""What a developer may do and see of another organization's practice: nothing is installed
before the practice grants access; before it, only the practice's name, city and system;
after it, never the other organization's credentials, creator, server or host names."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Enrollment, Sync, SyncStage
from portal.services import commit
from portal.services.onboarding import consent
from tests.conftest import csrf_token, login
from tests.onboarding import live_practice
from tests.services.test_csv_import import row, to_csv
from tests.web.test_import_pages import upload

SECRETS_OF_ALPHA = ("SRV1", "ALPHA-HOST", "alpha-admin", "Alpha Apps", "1 Main Street", "12207")


@pytest.fixture
def practice():
    institution = live_practice()
    sync = institution.syncs[0]
    sync.hostname, sync.agent_version = "ALPHA-HOST", "9.1"
    sync.credentials_url, sync.credentials_username = "https://alpha.example", "alpha-admin"
    commit()
    return institution


def _syncs() -> int:
    return db.session.scalar(select(func.count(Sync.id)))


def _enrollment(bravo, practice) -> Enrollment:
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.organization_id == bravo.organization_id,
            Enrollment.institution_id == practice.id,
        )
    )


def test_no_sync_is_created_on_a_practice_awaiting_or_refusing_consent(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    path = f"/portal/institutions/{enrollment.id}/syncs/new/"
    form = {"csrf_token": csrf_token(client, "/portal/"), "ehr": "dentrix", "server_name": "EVIL"}
    page = client.post(path, data=form, follow_redirects=True).get_data(as_text=True)
    assert "Awaiting consent" in page or "awaiting consent" in page
    assert _syncs() == 1
    link = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(link, grant=False)
    page = client.post(path, data=form, follow_redirects=True).get_data(as_text=True)
    assert "has not granted your organization access" in page
    assert _syncs() == 1


def test_a_csv_row_of_a_practice_awaiting_consent_plans_access_already_requested(
    client, practice, bravo, mailbox
):
    consent.request_access(practice, actor=bravo)
    same = row(
        name="Shared Smiles",
        street_address="1 Main Street",
        zip_code="12207",
        phone_number="(518) 555-0100",
        server="EVIL",
    )
    preview = upload(client, to_csv([same])).headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert 'data-testid="count-access-already-requested">1<' in page
    assert 'data-testid="count-additional-sync">0<' in page
    client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    assert _syncs() == 1


def test_before_a_grant_only_the_practices_name_city_and_system_show(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    page = client.get(f"/portal/institutions/{enrollment.id}/").get_data(as_text=True)
    assert "Shared Smiles" in page and "Albany" in page and "Dentrix" in page
    for secret in (*SECRETS_OF_ALPHA, "Office 1", practice.subdomain, "(518) 555-0100"):
        assert secret not in page, secret
    alpha_sync = practice.syncs[0].id
    listing = client.get("/portal/sync-status/").get_data(as_text=True)
    assert "Shared Smiles" not in listing
    row = client.get("/portal/institutions/").get_data(as_text=True)
    assert "Shared Smiles" in row and "SRV1" not in row and "Healthy" not in row
    assert client.get(f"/portal/sync-status/details/?id={alpha_sync}").status_code == 404


def test_after_a_grant_another_organizations_sync_shows_health_but_none_of_its_secrets(
    client, practice, bravo, mailbox
):
    enrollment = consent.request_access(practice, actor=bravo)
    link = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(link, grant=True)
    alpha_sync = practice.syncs[0].id
    pages = {
        "institution": f"/portal/institutions/{enrollment.id}/",
        "list": "/portal/sync-status/",
        "details": f"/portal/sync-status/details/?id={alpha_sync}",
        "export": "/portal/sync-status/export/csv/",
        "institutions": "/portal/institutions/",
    }
    for name, path in pages.items():
        response = client.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "Shared Smiles" in text or name == "institution", name
        if name == "institutions":
            assert "Dentrix" in text  # the system it reads, never the server
        for secret in ("SRV1", "ALPHA-HOST", "alpha-admin", "https://alpha.example", "Alpha Apps"):
            assert secret not in text, (name, secret)
    assert practice.syncs[0].status is SyncStage.ACTIVE


def test_members_get_403_on_admin_pages_and_do_not_see_them_in_the_sidebar(app, org_admin):
    from portal.services.accounts import users
    from tests.conftest import PASSWORD

    member = users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)
    admin_client, member_client = app.test_client(), app.test_client()
    login(admin_client, "alice@alpha.example")
    login(member_client, "m@alpha.example")
    admin_pages = [
        "/portal/users/invite/",
        f"/portal/users/{org_admin.id}/delete",
        "/portal/api-key/",
        "/portal/upgrade/",
        "/portal/audit/",
    ]
    for path in admin_pages:
        assert member_client.get(path).status_code == 403, path
        assert admin_client.get(path).status_code == 200, path
    assert member_client.get("/portal/users/").status_code == 200
    sidebar = member_client.get("/portal/users/").get_data(as_text=True)
    for label in ("API Key", "Upgrade", "Audit log", "Invite user", "Delete user"):
        assert label not in sidebar, label
    assert member.is_admin is False
