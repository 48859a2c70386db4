"""Values made from others fit their columns, and input limits leave room for them.

PostgreSQL refuses a value longer than its VARCHAR (a 500 when it happened); SQLite stores it.
So every test here ends by reading every text column back and comparing its longest value
with the column's length, which fails on both databases when something outgrew its column.
"""

import pytest
from sqlalchemy import String, func, select

from portal.extensions import db
from portal.models import Institution, Location, Organization, OutboundEmail, Role
from portal.services import commit
from portal.services.accounts import invitations
from portal.services.records.sandbox import create_demo_practice
from tests.conftest import PASSWORD, csrf_token, login, signup

LONGEST_ORGANIZATION = "O" * 120
LONGEST_NAME = "N" * 200
LONGEST_EMAIL = "a" * 64 + "@" + "l" * 60 + "." + "l" * 60 + "." + "l" * 55 + ".example"


def overflowing_columns() -> dict[str, int]:
    """Every text column whose longest stored value is longer than the column allows."""
    found = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                longest = db.session.scalar(select(func.max(func.length(column))))
                if longest and longest > column.type.length:
                    found[f"{table.name}.{column.name}"] = longest
    return found


def _sign_up(client, organization: str, name: str, email: str = "long@long.example"):
    token = csrf_token(client, "/signup")
    data = {"organization_name": organization, "name": name, "email": email}
    return client.post("/signup", data={"csrf_token": token, "password": PASSWORD, **data})


def test_the_longest_names_sign_up_can_take_make_a_sandbox_that_fits(client):
    response = _sign_up(client, LONGEST_ORGANIZATION, LONGEST_NAME)
    assert response.status_code == 302
    institution = db.session.scalars(select(Institution)).one()
    assert institution.name == f"{LONGEST_ORGANIZATION} Demo Practice"
    assert overflowing_columns() == {}


@pytest.mark.parametrize("length", [121, 200, 5000])
def test_sign_up_refuses_an_organization_name_with_no_room_for_its_sandbox(client, length):
    response = _sign_up(client, "O" * length, "Nina")
    assert response.status_code == 200
    assert "Use at most 120 characters." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_sandbox_names_made_from_a_long_organization_name_are_cut_to_their_column():
    organization = Organization(name="O" * 200, slug="o")
    db.session.add(organization)
    db.session.flush()
    enrollment = create_demo_practice(organization)
    commit()
    location = db.session.scalars(select(Location)).one()
    assert len(enrollment.institution.name) == 200 and enrollment.institution.name.endswith("…")
    assert len(location.name) == 200
    assert overflowing_columns() == {}


def test_email_subjects_made_from_the_longest_names_fit(client):
    _sign_up(client, LONGEST_ORGANIZATION, LONGEST_NAME)
    admin = db.session.scalars(select(Organization)).one()
    inviter = signup("Other", "other@other.example", "x")
    inviter.organization, inviter.name, inviter.role = admin, LONGEST_NAME, Role.ADMIN
    commit()
    invitations.invite("new@long.example", role=Role.DEVELOPER, actor=inviter)
    subject = db.session.scalar(
        select(OutboundEmail.subject).where(OutboundEmail.template == "invitation")
    )
    assert len(subject) == 300 and subject.endswith("…")
    assert overflowing_columns() == {}


def test_the_longest_inputs_of_the_portal_forms_fit_their_columns(client):
    _sign_up(client, LONGEST_ORGANIZATION, LONGEST_NAME, email=LONGEST_EMAIL)
    organization = db.session.scalars(select(Organization)).one()
    organization.production_enabled = True
    commit()
    login(client, LONGEST_EMAIL)
    token = csrf_token(client, "/portal/")
    client.post("/portal/mode", data={"csrf_token": token, "mode": "production"})
    created = client.post(
        "/portal/institutions/add/",
        data={
            "csrf_token": token,
            "name": "I" * 200,
            "street_address": "1" + " Main Street" * 16,
            "street_address_2": "S" * 200,
            "city": "C" * 100,
            "state": "NY",
            "zip_code": "12207-1234",
            "phone_number": "(518) 555-0100" + " " * 16,
            "contact_name": "K" * 200,
            "website": "https://" + "w" * 280 + ".example",
        },
    )
    assert created.status_code == 302
    upgrade = client.post(
        "/portal/upgrade/",
        data={
            "csrf_token": token,
            "legal_name": "L" * 200,
            "billing_email": LONGEST_EMAIL,
            "expected_practices": "100000",
        },
    )
    assert upgrade.status_code in (200, 302)
    assert overflowing_columns() == {}
