"""Sign-up does not tell whether an address has an account: the page answers the same, and
the existing owner is emailed (at most once an hour) instead of the visitor being told."""

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Organization, OutboundEmail, User
from portal.services.accounts import signups, users
from tests.conftest import PASSWORD, csrf_token, login, signup


def _sign_up(app, address: str, password: str = "another long password"):
    client = app.test_client()
    token = csrf_token(client, "/signup")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "organization_name": "Curious Co",
            "name": "Cory",
            "email": address,
            "password": password,
        },
    )
    landing = client.get(response.location).get_data(as_text=True)
    # The page differs only by the address typed and the session's own CSRF token.
    landing = re.sub(r'name="csrf_token"[^>]*>', "", landing.replace(address, "<address>"))
    return response, landing


def test_a_taken_address_and_a_new_one_get_the_same_answer(app):
    signup("Alpha Apps", "alice@alpha.example", "Alice")
    taken, taken_page = _sign_up(app, "alice@alpha.example")
    new, new_page = _sign_up(app, "nobody@new.example")
    assert (taken.status_code, taken.location) == (new.status_code, new.location) == (302, "/login")
    assert taken_page == new_page
    assert "sign in with the password you chose" in new_page


def test_the_owner_of_a_taken_address_is_emailed_and_nothing_else_changes(app):
    owner = signup("Alpha Apps", "alice@alpha.example", "Alice")
    _sign_up(app, "Alice@Alpha.example", password="attacker's password")
    [notice] = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.recipient == "alice@alpha.example")
    ).all()
    assert notice.template == "signup_attempted"
    assert "already" in notice.body_text and "/login" in notice.body_text
    assert db.session.scalar(select(func.count(Organization.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 1
    audit = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert audit[-1] == "user.signup_attempted"
    assert login(app.test_client(), "alice@alpha.example").status_code == 302
    assert login(app.test_client(), "alice@alpha.example", "attacker's password").status_code == 401
    assert users.find_user_by_email("alice@alpha.example").id == owner.id


def test_the_owner_is_told_at_most_once_an_hour(app):
    signup("Alpha Apps", "alice@alpha.example", "Alice")
    for _ in range(4):
        signups.register(
            organization_name="Curious Co",
            name="Cory",
            email_address="alice@alpha.example",
            password=PASSWORD,
        )
    sent = db.session.scalar(
        select(func.count(OutboundEmail.id)).where(OutboundEmail.template == "signup_attempted")
    )
    assert sent == 1


def test_a_new_address_gets_its_organization_and_a_welcome_email(app):
    _sign_up(app, "new@new.example")
    user = users.find_user_by_email("new@new.example")
    assert user.organization.name == "Curious Co" and user.is_admin
    [welcome] = db.session.scalars(
        select(OutboundEmail.template).where(OutboundEmail.recipient == "new@new.example")
    ).all()
    assert welcome == "welcome"
