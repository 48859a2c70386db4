"""A name of spaces is no name: every page that takes one says "Enter ..." beside the field
and creates nothing, and a name with spaces around it is stored without them."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Invitation, InvitationStatus, Organization, Role, User
from portal.services.accounts import invitations, users
from tests.conftest import PASSWORD, csrf_token, login


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def invitation_link(org_admin, mailbox) -> str:
    invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    body = mailbox.bodies_to("new@alpha.example")[0]
    return "/invitations/" + body.split("/invitations/")[1].split()[0]


def accept(client, path: str, name: str):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "name": name, "password": PASSWORD})


def sign_up(client, **fields):
    data = {
        "organization_name": "Web Signup Co",
        "name": "Wes",
        "email": "wes@web.example",
        "password": PASSWORD,
        **fields,
    }
    return client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"), **data})


@pytest.mark.parametrize("name", ["", "   ", " \u00a0 ", "\u200b", "\u200d \ufeff\u200e"])
def test_an_invitation_is_not_accepted_with_a_blank_name(client, invitation_link, name):
    response = accept(client, invitation_link, name)
    assert response.status_code == 200
    assert "Enter your name." in response.get_data(as_text=True)
    assert count(User) == 1  # the inviter only
    db.session.expire_all()
    invitation = db.session.scalar(select(Invitation))
    assert invitation.status is InvitationStatus.PENDING  # the link still works
    assert client.get(invitation_link).status_code == 200


def test_an_invitees_name_is_stored_without_surrounding_spaces(client, invitation_link):
    response = accept(client, invitation_link, "  Nu Person  ")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@alpha.example"))
    assert user.name == "Nu Person"
    assert "Welcome, Nu Person" in client.get("/portal/").get_data(as_text=True)


@pytest.mark.parametrize("blank", ["   ", "\u200b\u2060"], ids=["spaces", "zero-width"])
@pytest.mark.parametrize(
    ("field", "message"),
    [("name", "Enter your name."), ("organization_name", "Enter the organization name.")],
)
def test_sign_up_refuses_a_blank_name_beside_its_field(client, field, message, blank):
    response = sign_up(client, **{field: blank})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (count(User), count(Organization)) == (0, 0)


def test_sign_up_stores_names_without_surrounding_spaces(client):
    response = sign_up(client, organization_name="  Web Signup Co ", name="  Wes Tester  ")
    assert (response.status_code, response.location) == (302, "/login")
    user = db.session.scalar(select(User))
    assert (user.name, user.organization.name) == ("Wes Tester", "Web Signup Co")


def test_an_invitation_to_a_blank_address_is_refused_and_not_sent(client, org_admin):
    login(client, "alice@alpha.example")
    path = "/portal/users/invite/"
    response = client.post(
        path, data={"csrf_token": csrf_token(client, path), "email": "   ", "role": "developer"}
    )
    assert response.status_code == 200
    assert "Enter the email." in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_a_password_of_spaces_still_signs_in(client, org_admin):
    # Passwords keep their spaces: only text fields treat spaces as empty.
    org_admin.password_hash = users.hash_password(" " * 12)
    db.session.commit()
    response = login(client, "alice@alpha.example", " " * 12)
    assert response.status_code == 302
