"""The go-live checklist on Home: seven steps from a first sandbox key to a first write in a
practice's system, each worked out from what the organization's rows say (one query for all
of them), so a step is done the moment its state exists and never needs ticking off."""

from dataclasses import dataclass

from sqlalchemy import exists, select

from portal.extensions import db
from portal.models import (
    ApiKey,
    Enrollment,
    LocationGrant,
    Mode,
    Organization,
    PendingWrite,
    WriteStatus,
)
from portal.services.accounts.roles import GRANTS, Permission


@dataclass(frozen=True)
class Step:
    """One step as Home shows it: what it is, what to do (or what shows it is done), and the
    page where it is done, which only members holding `permission` are sent to."""

    name: str
    title: str
    to_do: str
    done_note: str
    page: str  # an endpoint of the portal console
    page_words: str
    permission: Permission
    done: bool = False

    @property
    def who(self) -> str:
        """The roles that may do this step, for the members who may not ("an Owner or Admin")."""
        labels = [role.label for role, held in GRANTS.items() if self.permission in held]
        phrase = " or ".join(filter(None, [", ".join(labels[:-1]), labels[-1]]))
        return f"an {phrase}"  # the list starts with Owner


STEPS = (
    Step(
        "sandbox_key",
        "Create a sandbox API key",
        "Create the key in test mode; it is shown once, so copy it then.",
        "Your organization has a sandbox API key.",
        "portal_api_key.index",
        "API Key",
        Permission.MANAGE_KEYS,
    ),
    Step(
        "sandbox_call",
        "Make a first successful sandbox call",
        "Exchange the key for a token and list patients with the Quickstart's commands; "
        "the call counts here within seconds.",
        "A call with your sandbox key succeeded.",
        "quickstartview.index",
        "Quickstart",
        Permission.READ,
    ),
    Step(
        "webhook_verified",
        "Verify a webhook endpoint",
        "Add an endpoint and send it a test event; it counts once your endpoint answers "
        "with a success status.",
        "One of your webhook endpoints accepted a test event.",
        "portal_webhooks.index",
        "Webhooks",
        Permission.MANAGE_WEBHOOKS,
    ),
    Step(
        "upgrade_approved",
        "Get the upgrade to production approved",
        "Request the upgrade; our staff review it and you are told by email.",
        "Approved: switch the header to Production to onboard real practices.",
        "portal_upgrade.index",
        "Upgrade",
        Permission.MANAGE_BILLING,
    ),
    Step(
        "production_key",
        "Create a production API key",
        "Switch the header to Production, then create the key; it is shown once.",
        "Your organization has a production API key.",
        "portal_api_key.index",
        "API Key",
        Permission.MANAGE_KEYS,
    ),
    Step(
        "live_location",
        "Take a first location live",
        "In Production, create an institution and its sync; a location goes live once the "
        "practice's Synchronizer reports it and access is granted.",
        "A practice location is live for your organization.",
        "portal_institutions.index_view",
        "Institutions",
        Permission.READ,
    ),
    Step(
        "production_write",
        "Write to a practice for the first time",
        "Book or change a record through the production API at a live location; it counts "
        "once the practice's Synchronizer has written it.",
        "A production write reached a practice's system.",
        "portal_institutions.index_view",
        "Institutions",
        Permission.READ,
    ),
)


def checklist(organization: Organization) -> list[Step]:
    """Every step of `organization`, in order, each marked done or not (one query)."""
    found = db.session.execute(_evidence(organization.id)).one()._asdict()
    found["upgrade_approved"] = organization.production_enabled
    return [_marked(step, bool(found[step.name])) for step in STEPS]


def _marked(step: Step, done: bool) -> Step:
    return Step(**{**step.__dict__, "done": done})


def _evidence(org_id: int):
    """SQL: the organization's milestones and one EXISTS per step that other rows show (the
    upgrade is the organization's flag, already loaded)."""
    return select(
        _key_in(org_id, Mode.SANDBOX).label("sandbox_key"),
        Organization.first_sandbox_call_at.is_not(None).label("sandbox_call"),
        Organization.webhook_verified_at.is_not(None).label("webhook_verified"),
        _key_in(org_id, Mode.PRODUCTION).label("production_key"),
        exists()
        .where(
            Enrollment.organization_id == org_id,
            Enrollment.mode == Mode.PRODUCTION,
            LocationGrant.enrollment_id == Enrollment.id,
            LocationGrant.activated_at.is_not(None),
        )
        .label("live_location"),
        exists()
        .where(PendingWrite.organization_id == org_id, PendingWrite.status == WriteStatus.COMPLETE)
        .label("production_write"),
    ).where(Organization.id == org_id)


def _key_in(org_id: int, mode: Mode):
    # Rotated-out keys count too: the step is that a key was made.
    return exists().where(ApiKey.organization_id == org_id, ApiKey.mode == mode)
