"""Go-live milestones kept on the organization (`first_sandbox_call_at`,
`webhook_verified_at`): the logs that show them first are emptied after 30 days, the
milestone stays. Each is set once, by a conditional UPDATE: whoever races, the first moment
is kept and a later one never moves it."""

from datetime import datetime

from sqlalchemy import Update, update

from portal.models import Organization

MILESTONES = ("first_sandbox_call_at", "webhook_verified_at")


def reached(name: str, organization_ids, at: datetime) -> Update:
    """The statement that records milestone `name` at `at` for the organizations that have
    not reached it yet; the caller runs it in its own transaction."""
    if name not in MILESTONES:
        raise ValueError(f"Unknown milestone {name!r}")
    column = getattr(Organization, name)
    return (
        update(Organization)
        .where(Organization.id.in_(list(organization_ids)), column.is_(None))
        .values({name: at})
        .execution_options(synchronize_session=False)
    )
