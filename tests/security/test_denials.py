"""Security-relevant refusals are audited through one budgeted mechanism (`audit.denial`):
failed sign-ins, another tenant's rows in the consoles, the API and the practice pages,
refused keys and tokens, forged forms; the audit pages show them in words."""

import threading

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, EnrollmentStatus, Location, SyncStage
from portal.services import audit, commit, secrets
from portal.services.accounts import users
from tests.admin.test_page_words import shown_text
from tests.api.conftest import Api, bearer_token, make_sandbox
from tests.conftest import PASSWORD, csrf_token, login, signup
from tests.onboarding import enrollment_in, sync_in, upgraded


def _denials(kind: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == f"denied.{kind}").order_by(AuditEvent.id)
    ).all()


def test_a_failed_sign_in_is_audited_against_the_account_it_tried(client, org_admin):
    answer = login(client, "alice@alpha.example", "wrong password", address="203.0.113.9")

    assert answer.status_code == 401
    [row] = _denials("sign_in")
    assert row.organization_id == org_admin.organization_id
    assert row.ip_address == "203.0.113.9"
    assert row.details["email"] == "alice@alpha.example"
    assert row.details["page"] == "POST /login"


def test_a_failed_staff_sign_in_and_an_unknown_address_are_audited_too(client):
    users.create_staff("olive@ops.example", PASSWORD)
    login(client, "olive@ops.example", "wrong password")
    login(client, "nobody@nowhere.example", "wrong password", address="198.51.100.7")

    rows = _denials("sign_in")
    assert [r.details["email"] for r in rows] == ["olive@ops.example", "nobody@nowhere.example"]
    assert all(r.organization_id is None for r in rows)


def test_a_right_password_writes_no_denial(client, org_admin):
    assert login(client, "alice@alpha.example").status_code == 302
    assert _denials("sign_in") == []


def test_opening_another_organizations_row_in_the_portal_is_audited_as_a_probe(app):
    alice = signup("Alpha Apps", "alice@alpha.example")
    signup("Beta Labs", "bob@beta.example")
    bob = app.test_client()
    login(bob, "bob@beta.example")

    probe = bob.get(f"/portal/users/details/?id={alice.id}")
    missing = bob.get("/portal/users/details/?id=999999")

    assert probe.status_code == missing.status_code == 404
    [row] = _denials("other_tenant")
    assert (row.target_type, row.target_id, row.actor_email) == (
        "User",
        str(alice.id),
        "bob@beta.example",
    )
    assert row.organization_id != alice.organization_id


def test_a_row_action_naming_another_organizations_row_is_audited(app):
    alice = signup("Alpha Apps", "alice@alpha.example")
    signup("Beta Labs", "bob@beta.example")
    bob = app.test_client()
    login(bob, "bob@beta.example")
    token = csrf_token(bob, "/portal/users/")

    answer = bob.post(f"/portal/users/{alice.id}/delete", data={"csrf_token": token})

    assert answer.status_code == 404
    assert [r.target_id for r in _denials("other_tenant")] == [str(alice.id)]


def test_a_member_opening_an_admin_page_and_a_developer_opening_ops_are_audited(app):
    signup("Alpha Apps", "alice@alpha.example")
    developer = app.test_client()
    login(developer, "alice@alpha.example")

    assert developer.get("/ops/users/").status_code == 403

    [row] = _denials("forbidden")
    assert row.actor_email == "alice@alpha.example"
    assert row.details["page"] == "GET /ops/users/"


def test_a_forged_form_is_audited(client):
    answer = client.post("/login", data={"email": "a@b.example", "password": "x"})

    assert answer.status_code == 400
    [row] = _denials("csrf")
    assert row.details["page"] == "POST /login"


def test_refused_api_keys_and_bearer_tokens_are_audited(client):
    assert client.post("/api/authenticates", headers={"Authorization": "nope"}).status_code == 401
    other = client.get("/api/institutions", headers={"Authorization": "Bearer forged.token"})
    assert other.status_code == 401
    # One row per kind and request; both refusals are the same kind from one address.
    assert len(_denials("api_credentials")) == 2


def test_another_organizations_institution_through_the_api_is_audited(client):
    alpha, beta = make_sandbox("Alpha Apps", "a@alpha.example"), make_sandbox("Beta", "b@b.example")
    api = Api(client, bearer_token(client, alpha.raw_key))

    assert api.get("/patients", **beta.at_location).status_code == 403

    [row] = _denials("forbidden")
    assert row.organization_id is None or row.organization_id != beta.organization.id
    assert row.details["page"] == "GET /api/patients"


def test_refused_agent_tokens_and_product_keys_are_audited(client):
    heartbeat = client.post(
        "/synchronizer/v1/heartbeat", json={}, headers={"Authorization": "Bearer agt_forged"}
    )
    activate = client.post(
        "/synchronizer/v1/activate",
        json={"product_key": "XXXX-XXXX-XXXX-XXXX", "hostname": "h", "version": "1"},
    )

    assert (heartbeat.status_code, activate.status_code) == (401, 404)
    reasons = [r.details.get("reason") for r in _denials("agent_credentials")]
    assert reasons == [None, "unknown product key"]


def test_a_practice_revoking_another_practices_app_and_a_spent_link_are_audited(app):
    alpha = upgraded("Alpha Apps", "alice@alpha.example")
    theirs = enrollment_in(alpha, EnrollmentStatus.LIVE, "Their Practice")
    ours = enrollment_in(alpha, EnrollmentStatus.LIVE, "Our Practice")
    practice = app.test_client()
    with practice.session_transaction() as session:
        session["practice"] = {
            "institution_id": ours.institution_id,
            "since": clock.now().isoformat(),
            "version": ours.institution.session_version,
        }
    token = csrf_token(practice, "/practice/")

    practice.post(f"/practice/apps/{theirs.id}/revoke", data={"csrf_token": token})
    practice.get("/practice/sign-in/not-a-real-link")

    assert db.session.get(type(theirs), theirs.id).status is EnrollmentStatus.LIVE
    assert [r.target_id for r in _denials("other_tenant")] == [str(theirs.id)]
    assert [r.details["link"] for r in _denials("link")] == ["practice sign-in"]


def test_refused_emailed_links_are_audited_with_what_they_were_for(client, org_admin):
    client.get("/reset-password/guessed-token")
    client.get("/invitations/guessed-token")
    client.get("/practice/requests/guessed-token")
    client.get("/setup/guessed-token")

    links = [r.details["link"] for r in _denials("link")]
    assert links == ["password reset", "invitation", "access request", "hosted setup"]


def test_a_flood_of_refusals_writes_at_most_the_budget_per_kind_and_address(app, client):
    app.config["AUDIT_DENIALS_PER_MINUTE"] = 5
    try:
        for _ in range(30):
            client.post("/login", data={"email": "x"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
        for _ in range(3):
            client.post("/login", data={"email": "x"}, environ_base={"REMOTE_ADDR": "192.0.2.2"})
    finally:
        app.config["AUDIT_DENIALS_PER_MINUTE"] = 20

    rows = _denials("csrf")
    assert sum(r.ip_address == "192.0.2.1" for r in rows) == 5
    assert sum(r.ip_address == "192.0.2.2" for r in rows) == 3


def test_parallel_refusals_cannot_overtake_the_budget(app):
    app.config["AUDIT_DENIALS_PER_MINUTE"] = 7
    start = threading.Barrier(16)

    def refuse():
        with app.test_request_context("/login", environ_base={"REMOTE_ADDR": "192.0.2.3"}):
            start.wait()
            for _ in range(5):
                audit.denial("sign_in", email="racer@example.test")

    threads = [threading.Thread(target=refuse) for _ in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.config["AUDIT_DENIALS_PER_MINUTE"] = 20

    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 7


@pytest.mark.parametrize("area", ["/ops/audit/", "/portal/audit/"])
def test_the_audit_pages_show_refusals_in_words(app, area):
    admin = signup("Alpha Apps", "alice@alpha.example")
    users.create_staff("olive@ops.example", PASSWORD)
    login(app.test_client(), "alice@alpha.example", "wrong password")
    reader = app.test_client()
    login(reader, "olive@ops.example" if area.startswith("/ops") else admin.email)

    page = shown_text(reader.get(area).get_data(as_text=True))  # codes may be option values

    assert "Sign-in refused: wrong email or password" in page
    assert "denied.sign_in" not in page
    assert "email: alice@alpha.example" in page


def test_every_denial_kind_reads_as_words():
    for kind, words in audit.DENIALS.items():
        assert audit.describe(f"denied.{kind}") == words
    assert audit.describe("user.password_reset_requested") == "User: password reset requested"
    assert audit.describe("api_key.created") == "API key: created"
    with pytest.raises(ValueError):
        audit.denial("something_else")


def test_a_denial_after_the_transaction_wrote_joins_it_instead_of_waiting_on_its_locks(app):
    organization = signup("Alpha Apps", "alice@alpha.example").organization
    organization.name = "Alpha Apps Renamed"
    db.session.flush()  # this transaction now holds a write (SQLite: the database's lock)

    with app.test_request_context("/portal/", environ_base={"REMOTE_ADDR": "192.0.2.4"}):
        assert audit.denial("other_tenant", organization=organization, target_type="User")

    db.session.commit()
    [row] = _denials("other_tenant")
    assert (row.organization_id, row.ip_address) == (organization.id, "192.0.2.4")


@pytest.mark.parametrize("end", ["rollback", "remove"])
def test_a_denial_that_joined_a_transaction_outlives_its_rollback(app, end):
    organization = signup("Alpha Apps", "alice@alpha.example").organization
    organization.name = "Never Saved"
    db.session.flush()

    with app.test_request_context("/portal/", environ_base={"REMOTE_ADDR": "192.0.2.5"}):
        assert audit.denial("forbidden", organization=organization)
    getattr(db.session, end)()  # a refusal's handler rolls back; a request's end removes

    assert db.session.get(type(organization), organization.id).name == "Alpha Apps"
    assert [r.ip_address for r in _denials("forbidden")] == ["192.0.2.5"]


def test_a_heartbeat_naming_another_syncs_location_is_audited(client, app):
    alpha = upgraded("Alpha Apps", "alice@alpha.example")
    enrollment = enrollment_in(alpha, EnrollmentStatus.LIVE)
    theirs = sync_in(enrollment, "dentrix", SyncStage.ACTIVE, server="SRV1")
    office = Location(institution_id=enrollment.institution_id, foreign_id="1", name="Office")
    office.sync_id = theirs.id
    db.session.add(office)
    mine = sync_in(enrollment, "dentrix", SyncStage.ACTIVE, server="SRV2")
    token = "agt_" + "m" * 40
    mine.agent_token_digest = secrets.digest(token)
    commit()

    answer = client.post(
        "/synchronizer/v1/heartbeat",
        json={"locations": [{"foreign_id": "1", "name": "Taken"}]},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 409
    [row] = _denials("other_tenant")
    assert (row.target_type, row.target_id) == ("Location", str(office.id))


def test_a_practice_opening_another_practices_revoke_page_is_audited_not_its_own(app):
    alpha = upgraded("Alpha Apps", "alice@alpha.example")
    theirs = enrollment_in(alpha, EnrollmentStatus.LIVE, "Their Practice")
    ours = enrollment_in(alpha, EnrollmentStatus.LIVE, "Our Practice")
    practice = app.test_client()
    with practice.session_transaction() as session:
        session["practice"] = {
            "institution_id": ours.institution_id,
            "since": clock.now().isoformat(),
            "version": ours.institution.session_version,
        }

    assert practice.get(f"/practice/apps/{theirs.id}/revoke").status_code == 404
    assert practice.get(f"/practice/apps/{ours.id}/revoke").status_code == 200
    assert [r.target_id for r in _denials("other_tenant")] == [str(theirs.id)]
