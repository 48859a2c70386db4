"""The demo world `make run` loads into an empty database, with logins to print."""

from dataclasses import dataclass

from portal.services import accounts

PASSWORD = "syncportal-demo"


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


LOGINS = [
    Login("organization admin", "admin@acme.example", PASSWORD),
    Login("organization member", "member@acme.example", PASSWORD),
    Login("ops staff", "ops@syncportal.example", PASSWORD),
]


def existing_logins() -> list[Login]:
    """The demo logins whose users are in the database."""
    return [login for login in LOGINS if accounts.find_user_by_email(login.email)]


def load() -> list[Login]:
    """An organization with an admin, a member and its sandbox; and a staff user."""
    admin = accounts.signup(
        organization_name="Acme Dental Apps",
        name="Ada Admin",
        email_address=LOGINS[0].email,
        password=PASSWORD,
        welcome=False,
    )
    accounts.add_member(admin.organization, LOGINS[1].email, "Max Member", PASSWORD)
    accounts.create_staff(LOGINS[2].email, PASSWORD, name="Olive Ops")
    return LOGINS
