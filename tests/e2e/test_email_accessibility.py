"""Every HTML email, as a mail client shows it, passes axe-core's WCAG 2.1 A/AA rules: it
names its language and title, its text has enough contrast, its links have words. Each
template under templates/email/ must be sent at least once here, so a new one is checked."""

from pathlib import Path

from sqlalchemy import select

from portal.extensions import db
from portal.models import AccessRequest, ActivationRequest, OutboundEmail, Sync, UpgradeRequest
from portal.services.accounts import signups, upgrades, users
from portal.services.onboarding import activations, consent, deactivations
from portal.services.syncs import installs, setup
from tests.conftest import PASSWORD
from tests.e2e import axe, world, world_webhooks

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


def send_every_kind_of_email(found: world.World) -> None:
    """On top of the world's emails (invitation, reset, consent, practice sign-in): the
    decisions and install news that staff and practices cause."""
    staff = users.find_user_by_email(world.STAFF)
    alice = users.find_user_by_email(world.ADMIN)
    users.signup(
        organization_name="Foxtrot Apps",
        name="Fay",
        email_address="fay@foxtrot.example",
        password=PASSWORD,
        welcome=True,
    )
    signups.register(  # the same address again: its owner is told
        organization_name="Foxtrot Again",
        name="Fay",
        email_address="fay@foxtrot.example",
        password=PASSWORD,
    )
    upgrades.approve(db.session.scalars(select(UpgradeRequest)).all(), actor=staff)
    activations.fulfil(db.session.scalars(select(ActivationRequest)).all(), actor=staff)
    granted = consent.decide_by_link(found.links["access_request"].rsplit("/", 1)[1], grant=True)
    deactivations.revoke(granted.enrollment_id, practice=granted.institution)
    others = select(AccessRequest).where(AccessRequest.id != granted.id)
    consent.cancel_by_staff(db.session.scalars(others).all(), actor=staff)

    cloud = db.session.get(Sync, found.ids["cloud_sync"])
    setup.submit_credentials(
        cloud, url="https://practice.example.com", username="admin", password="x" * 12, actor=alice
    )
    installs.reject_credentials([cloud], reason="The password was refused.", actor=staff)
    windowed = db.session.get(Sync, found.ids["windowed_sync"])
    installs.confirm_windows(
        [windowed], windows={windowed.id: windowed.proposed_windows[0]}, actor=staff
    )
    installs.mark_installed([windowed], actor=staff)
    installing = db.session.get(Sync, found.ids["installer_sync"])
    installs.mark_failed([installing], reason="No database found.", actor=staff)
    world_webhooks.send_alert_emails()


def test_every_html_email_passes_axe(app, browser):
    found = world.build()
    send_every_kind_of_email(found)
    emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
    one_of_each = {email.template: email for email in emails}
    wanted = {path.stem for path in TEMPLATES.glob("*.html") if not path.stem.startswith("_")}
    assert wanted <= set(one_of_each), f"never sent here: {sorted(wanted - set(one_of_each))}"

    page = browser.new_page()
    failures = []
    for template, email in sorted(one_of_each.items()):
        page.set_content(email.body_html)
        assert page.title() == email.subject
        found_violations = axe.violations(page)
        if found_violations:
            failures.append(f"== {template}\n{axe.describe(found_violations)}")
    page.close()
    assert not failures, "\n".join(failures)
