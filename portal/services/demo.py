"""The demo world `make run` loads into an empty database, with logins to print."""

from dataclasses import dataclass

from portal.services import accounts

PASSWORD = "syncportal-demo"


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


def load() -> list[Login]:
    """An organization with an admin, a member and its sandbox; and a staff user."""
    admin = accounts.signup(
        organization_name="Acme Dental Apps",
        name="Ada Admin",
        email_address="admin@acme.example",
        password=PASSWORD,
        welcome=False,
    )
    accounts.add_member(admin.organization, "member@acme.example", "Max Member", PASSWORD)
    accounts.create_staff("ops@syncportal.example", PASSWORD, name="Olive Ops")
    return [
        Login("organization admin", "admin@acme.example", PASSWORD),
        Login("organization member", "member@acme.example", PASSWORD),
        Login("ops staff", "ops@syncportal.example", PASSWORD),
    ]
