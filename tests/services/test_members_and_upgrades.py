import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, RequestStatus, User
from portal.services import Conflict, Forbidden, PortalError
from portal.services.accounts import members, upgrades, users
from tests.conftest import PASSWORD


@pytest.fixture
def member(org_admin):
    return users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)


def test_the_last_admin_can_be_neither_demoted_nor_deleted(org_admin, member):
    with pytest.raises(Conflict, match="last admin"):
        members.set_admin(org_admin, admin=False, actor=org_admin)
    members.set_admin(member, admin=True, actor=org_admin)
    members.set_admin(org_admin, admin=False, actor=member)  # fine: another admin remains
    with pytest.raises(Conflict, match="last admin"):
        members.set_admin(member, admin=False, actor=member)
    assert member.is_admin and not org_admin.is_admin


def test_nobody_deletes_themselves_and_deletion_is_audited(org_admin, member):
    with pytest.raises(Conflict, match="cannot delete yourself"):
        members.delete(org_admin, actor=org_admin)
    members.delete(member, actor=org_admin)
    assert db.session.get(User, member.id) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deleted"))


def test_members_cannot_change_roles(org_admin, member):
    with pytest.raises(Forbidden):
        members.set_admin(member, admin=True, actor=member)
    assert not member.is_admin


def test_upgrade_approval_opens_production_and_emails_both_addresses(org_admin, mailbox):
    staff = users.create_staff("s@ops.example", PASSWORD)
    upgrade = upgrades.request_upgrade(
        org_admin.organization,
        legal_name="Alpha Apps Inc.",
        billing_email="billing@alpha.example",
        expected_practices=40,
        actor=org_admin,
    )
    with pytest.raises(Conflict, match="already waiting"):
        upgrades.request_upgrade(
            org_admin.organization,
            legal_name="x",
            billing_email="b@alpha.example",
            expected_practices=1,
            actor=org_admin,
        )
    assert len(upgrades.approve([upgrade], actor=staff).done) == 1
    assert org_admin.organization.production_enabled
    assert "approved" in mailbox.bodies_to("billing@alpha.example")[0]
    assert mailbox.bodies_to("alice@alpha.example")
    assert len(upgrades.approve([upgrade], actor=staff).done) == 0  # already decided


def test_upgrade_rejection_needs_a_reason_and_keeps_test_mode(org_admin, mailbox):
    staff = users.create_staff("s@ops.example", PASSWORD)
    upgrade = upgrades.request_upgrade(
        org_admin.organization,
        legal_name="Alpha",
        expected_practices=2,
        billing_email="billing@alpha.example",
        actor=org_admin,
    )
    with pytest.raises(PortalError, match="reason"):
        upgrades.reject([upgrade], reason="  ", actor=staff)
    upgrades.reject([upgrade], reason="We could not verify the company.", actor=staff)
    assert upgrade.status == RequestStatus.REJECTED
    assert not org_admin.organization.production_enabled
    assert "could not verify" in mailbox.bodies_to("billing@alpha.example")[0]
    with pytest.raises(Forbidden):
        upgrades.approve([upgrade], actor=org_admin)
