"""The demo world `make run` loads into an empty database, with logins to print."""

from dataclasses import dataclass

from portal.models import Mode, Role
from portal.services import NotFound, demo_world
from portal.services.accounts import api_keys, users
from portal.services.dashboards import sandbox_summary

PASSWORD = "syncportal-demo"


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


LOGINS = [
    Login("organization owner", "admin@acme.example", PASSWORD),
    Login("organization developer", "member@acme.example", PASSWORD),
    Login("ops staff", "ops@syncportal.example", PASSWORD),
    Login("organization viewer", "viewer@acme.example", PASSWORD),
]


def existing_logins() -> list[Login]:
    """The demo logins whose users are in the database."""
    return [login for login in LOGINS if users.find_user_by_email(login.email)]


@dataclass(frozen=True)
class SandboxAccess:
    key: str  # shown once, by the command that created it
    subdomain: str
    location_id: int


def load() -> tuple[list[Login], SandboxAccess]:
    """The demo world: an upgraded organization (owner, developer, viewer) with practices at every
    step of onboarding, the organizations around it, a staff user; and a sandbox API key."""
    admin = users.signup(
        organization_name="Acme Dental Apps",
        name="Ada Admin",
        email_address=LOGINS[0].email,
        password=PASSWORD,
        welcome=False,
    )
    member = users.add_member(admin.organization, LOGINS[1].email, "Max Member", PASSWORD)
    users.add_member(admin.organization, LOGINS[3].email, "Vic Viewer", PASSWORD, Role.VIEWER)
    staff = users.create_staff(LOGINS[2].email, PASSWORD, name="Olive Ops")
    key = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin)
    # The demo organization starts upgraded, so a newcomer can try production onboarding
    # at once (a pending upgrade of another organization waits in the ops queue).
    demo_world.upgrade(admin, staff)
    demo_world.build(demo_world.People(admin, member, staff, PASSWORD))
    return LOGINS, _access(admin, key.raw)


def new_sandbox_key() -> SandboxAccess:
    """Rotate the demo organization's sandbox key at once and return the new one."""
    admin = users.find_user_by_email(LOGINS[0].email)
    if admin is None:
        raise NotFound("The demo organization is not loaded; run `flask demo` first.")
    current = api_keys.current_key(admin.organization, Mode.SANDBOX)
    if current is None:
        new = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin)
    else:
        new = api_keys.rotate(current, actor=admin, grace="now")
    return _access(admin, new.raw)


def _access(admin, raw: str) -> SandboxAccess:
    sandbox = sandbox_summary(admin.organization)
    return SandboxAccess(raw, sandbox.subdomain, sandbox.location_id)
