"""Names are one line of text. Every input refuses line breaks and control characters in a
name (forms, the CSV upload, the API, the agent protocol), and names stored before this rule
can no longer break an email: its subject is one line and its row never stays in sending."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import EmailStatus, Institution, Organization, OutboundEmail, Role, Sync, User
from portal.services import commit
from portal.services.accounts import invitations
from portal.services.delivery import outbox
from portal.services.imports import csv_import
from portal.services.syncs import keys, setup
from tests.conftest import PASSWORD, csrf_token, login, signup
from tests.onboarding import ADDRESS, institution, live_practice, upgraded

BREAKS = [
    "Evil\r\nBcc: victim@example.com",
    "Two\nLines",
    "Tab\there",
    "Sep\u2028arator",
    "N\x85EL",
]


@pytest.mark.parametrize("bad", BREAKS, ids=range(len(BREAKS)))
def test_sign_up_refuses_a_name_on_several_lines(client, bad):
    token = csrf_token(client, "/signup")
    form = {"csrf_token": token, "email": "x@x.example", "password": PASSWORD}
    for field in ("organization_name", "name"):
        data = {"organization_name": "Good Co", "name": "Good Name", **form, field: bad}
        response = client.post("/signup", data=data)
        assert response.status_code == 400
        assert "must be one line of text" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_every_portal_form_refuses_a_name_on_several_lines(client):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="denticon", server_name="", actor=user)
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/")
    client.post("/portal/mode", data={"csrf_token": token, "mode": "production"})
    posts = {
        "/portal/institutions/add/": {**ADDRESS, "name": "Two\nLines"},
        "/portal/institutions/add/#contact": {
            **ADDRESS,
            "name": "Fine Dental",
            "contact_name": "Ann\r\nRivera",
        },
        f"/portal/institutions/{enrollment.id}/syncs/new/": {
            "ehr": "dentrix",
            "server_name": "FRONT\nDESK",
        },
        f"/portal/syncs/{sync.id}/credentials/": {
            "url": "https://x.example",
            "username": "admin\r\nX: y",
            "password": "p",
        },
        "/portal/upgrade/": {
            "legal_name": "Alpha\nApps LLC",
            "billing_email": "b@alpha.example",
            "expected_practices": "3",
        },
        "/portal/users/invite/": {"email": "new@alpha.example\r\nBcc: x@y.example"},
    }
    for path, data in posts.items():
        response = client.post(path.split("#")[0], data={"csrf_token": token, **data})
        assert response.status_code == 400, path
    assert db.session.scalar(select(func.count(Institution.id))) == 2  # sandbox + Bright Smiles
    db.session.expire_all()
    assert db.session.get(Sync, sync.id).credentials_username == ""


def test_accepting_an_invitation_refuses_a_name_on_several_lines(client, org_admin):
    invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    raw = db.session.scalar(select(OutboundEmail.body_text)).split("/invitations/")[1].split()[0]
    token = csrf_token(client, f"/invitations/{raw}")
    response = client.post(
        f"/invitations/{raw}",
        data={"csrf_token": token, "name": "New\r\nPerson", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert invitations.find_by_link(raw).status.value == "pending"


def test_the_api_and_the_agent_refuse_names_on_several_lines(client):
    user = upgraded("Alpha Apps", "alice@alpha.example")
    sync = setup.create_sync(institution(user), ehr="dentrix", server_name="FD", actor=user)
    activate = client.post(
        "/synchronizer/v1/activate",
        json={"product_key": keys.product_key(sync), "hostname": "PC\r\nX"},
    )
    patient = client.post("/api/patients", json={"patient": {"first_name": "A\nB"}})
    assert (activate.status_code, patient.status_code) == (400, 400)
    assert "'hostname' must be one line" in activate.json["error"][0]
    assert "'first_name' must be one line" in patient.json["error"][0]


def test_the_csv_upload_refuses_an_institution_name_on_several_lines():
    user = upgraded("Alpha Apps", "alice@alpha.example")
    content = (
        ",".join(csv_import.COLUMNS)
        + "\r\nTab\tDental,1 Main Street,,Albany,NY,12207,(518) 555-0100,,,"
        + "Ann\x0bRivera,no,dentrix,FRONT\u2028DESK\r\n"
    ).encode()
    plan = csv_import.preview(csv_import.upload(user.organization, "a.csv", content, actor=user))
    columns = {error.column for error in plan.errors}
    assert {"institution_name", "contact_name", "server_name"} <= columns


def _stored_with_breaks():
    """Rows written before names were checked, with CR/LF in every name an email uses."""
    practice = live_practice("desk@shared.example")
    practice.name = "Shared\r\nSmiles"
    admin = signup("Alpha Apps", "alice@alpha.example", "Alice")
    admin.name = "Alice\r\nBcc: victim@example.com"
    admin.organization.name = "Alpha\nApps"
    commit()
    return admin


def test_names_stored_with_line_breaks_no_longer_break_email(app, client, mailbox):
    _stored_with_breaks()
    login(client, "alice@alpha.example")
    token = csrf_token(client, "/portal/users/invite/")
    invited = client.post(
        "/portal/users/invite/", data={"csrf_token": token, "email": "new@alpha.example"}
    )
    practice = app.test_client()
    token = csrf_token(practice, "/practice/")
    asked = practice.post("/practice/", data={"csrf_token": token, "email": "desk@shared.example"})
    assert (invited.status_code, asked.status_code) == (302, 302)
    outbox.send_due()
    emails = db.session.scalars(select(OutboundEmail)).all()
    assert {e.status for e in emails} == {EmailStatus.SENT}
    assert all("\n" not in e.subject and "\r" not in e.subject for e in emails)
    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert subjects == [
        "Alice Bcc: victim@example.com invited you to Alpha Apps on SyncPortal",
        "Sign in to manage the apps connected to Shared Smiles",
    ]
    assert all(m["Bcc"] is None for m in mailbox.messages)


def test_a_message_that_fails_in_an_unexpected_way_does_not_stay_in_sending(
    app, mailbox, monkeypatch
):
    admin = signup("Alpha Apps", "alice@alpha.example", "Alice")

    def broken(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr("flask_mail.Message.as_bytes", broken)
    invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=admin)
    outbox.send_due()
    db.session.expire_all()
    email = db.session.scalars(select(OutboundEmail)).one()
    assert email.status is not EmailStatus.SENDING
    assert "RuntimeError" in email.last_error
    assert db.session.scalar(select(func.count(User.id))) == 1
