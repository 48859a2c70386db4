"""The account services refuse a name of spaces whichever edge calls them, and store names
stripped."""

import pytest
from sqlalchemy import func, select

from portal import inputs
from portal.extensions import db
from portal.models import InvitationStatus, Organization, Role, User
from portal.services.accounts import invitations, users
from tests.conftest import PASSWORD


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def link_in(mailbox, address):
    return mailbox.bodies_to(address)[-1].split("/invitations/")[1].split()[0]


def test_accepting_with_a_blank_name_creates_nobody_and_keeps_the_link(org_admin, mailbox):
    invitation = invitations.invite("new@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    raw = link_in(mailbox, "new@alpha.example")
    with pytest.raises(users.InvalidName, match=r"^Enter your name\.$") as refused:
        invitations.accept(raw, name="   ", password=PASSWORD)
    assert refused.value.field == "name"
    assert count(User) == 1
    db.session.expire_all()
    assert invitation.status is InvitationStatus.PENDING
    user = invitations.accept(raw, name=" Nu Person ", password=PASSWORD)
    assert user.name == "Nu Person"


@pytest.mark.parametrize("blank", ["   ", "\u200b", "\ufeff\u200c "])
def test_a_signup_with_a_blank_name_creates_nothing(blank):
    with pytest.raises(users.InvalidName, match=r"^Enter your name\.$"):
        users.signup(
            organization_name="Web Co", name=blank, email_address="w@web.example", password=PASSWORD
        )
    assert (count(User), count(Organization)) == (0, 0)


def test_staff_are_named_after_their_address_unless_given_a_name():
    with pytest.raises(users.InvalidName):
        users.create_staff("ops@syncportal.example", PASSWORD, name="   ")
    assert count(User) == 0
    assert users.create_staff("ops@syncportal.example", PASSWORD).name == "ops"
    assert users.create_staff("o2@syncportal.example", PASSWORD, name=" Olga ").name == "Olga"


@pytest.mark.parametrize(
    ("text", "shows_nothing"),
    [("", True), (" \u00a0\t", True), ("\u200b\u200c\u200d\u2060\ufeff\u200e", True),
     ("\u200bA", False), (".", False), ("é", False), ("\u0301", False),
     (" \u200b ", True), ("  A", False), ("\u200b \u200bA", False)],
)  # fmt: skip
def test_blank_means_nothing_shows(text, shows_nothing):
    assert inputs.blank(text) is shows_nothing
