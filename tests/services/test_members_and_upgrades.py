import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, RequestStatus, Role, User
from portal.services import Conflict, Forbidden, PortalError
from portal.services.accounts import members, upgrades, users
from tests.conftest import PASSWORD


@pytest.fixture
def member(org_admin):
    return users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)


def test_the_last_owner_can_be_neither_demoted_nor_deleted(org_admin, member):
    with pytest.raises(Conflict, match="last Owner"):
        members.set_role(org_admin, Role.ADMIN, actor=org_admin)
    members.set_role(member, Role.OWNER, actor=org_admin)
    members.set_role(org_admin, Role.DEVELOPER, actor=member)  # fine: another Owner remains
    with pytest.raises(Conflict, match="last Owner"):
        members.set_role(member, Role.VIEWER, actor=member)
    assert member.role is Role.OWNER and org_admin.role is Role.DEVELOPER


def test_only_an_owner_makes_changes_or_removes_an_owner(org_admin, member):
    admin = users.add_member(org_admin.organization, "ad@alpha.example", "Ad", PASSWORD, Role.ADMIN)
    with pytest.raises(Forbidden, match="Only an Owner"):
        members.set_role(member, Role.OWNER, actor=admin)
    members.set_role(member, Role.OWNER, actor=org_admin)
    with pytest.raises(Forbidden, match="Only an Owner"):
        members.set_role(member, Role.DEVELOPER, actor=admin)
    with pytest.raises(Forbidden, match="Only an Owner"):
        members.delete(member, actor=admin)
    members.set_role(admin, Role.VIEWER, actor=member)  # an Owner changes an Admin
    members.delete(member, actor=org_admin)
    assert db.session.get(User, member.id) is None
    assert admin.role is Role.VIEWER


def test_an_admin_runs_developers_and_viewers_but_developers_change_nobody(org_admin, member):
    admin = users.add_member(org_admin.organization, "ad@alpha.example", "Ad", PASSWORD, Role.ADMIN)
    members.set_role(member, Role.VIEWER, actor=admin)
    members.set_role(member, Role.ADMIN, actor=admin)
    members.set_role(member, Role.DEVELOPER, actor=admin)
    for actor in (
        member,
        users.add_member(org_admin.organization, "v@alpha.example", "V", PASSWORD, Role.VIEWER),
    ):
        with pytest.raises(Forbidden):
            members.set_role(admin, Role.VIEWER, actor=actor)
        with pytest.raises(Forbidden):
            members.delete(admin, actor=actor)
    assert admin.role is Role.ADMIN and member.role is Role.DEVELOPER


def test_role_changes_are_audited_with_both_roles(org_admin, member):
    members.set_role(member, Role.VIEWER, actor=org_admin)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.actor_id == org_admin.id and event.target_id == str(member.id)
    assert event.details["role"] == "Viewer" and event.details["previous_role"] == "Developer"


def test_a_removed_members_trail_keeps_their_email_not_their_id(org_admin, member):
    """The trail has no foreign key (it is loaded in bulk): removing a member clears their id
    from it, so no later member inherits their rows (SQLite may reuse the id)."""
    admin = users.add_member(org_admin.organization, "ad@alpha.example", "Ad", PASSWORD, Role.ADMIN)
    members.set_role(member, Role.VIEWER, actor=admin)
    kept = select(AuditEvent).where(AuditEvent.action == "user.role_changed")

    members.delete(admin, actor=org_admin)

    db.session.expire_all()
    event = db.session.scalar(kept)
    assert event.actor_id is None and event.actor_email == "ad@alpha.example"
    assert event.target_id == str(member.id)
    removal = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deleted"))
    assert removal.actor_id == org_admin.id and removal.target_id == str(admin.id)


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app, org_admin, member):
    """Each demotion runs in its own session and thread; the organization's lock makes the
    second see the first and refuse, so the organization never ends without an Owner."""
    members.set_role(member, Role.OWNER, actor=org_admin)
    ids = [(org_admin.id, member.id), (member.id, org_admin.id)]
    start, outcomes = threading.Barrier(2), []

    def demote(actor_id: int, target_id: int) -> None:
        with app.app_context():
            actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
            start.wait()
            try:
                members.set_role(target, Role.DEVELOPER, actor=actor)
                outcomes.append("demoted")
            except PortalError as refusal:
                outcomes.append(str(refusal))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=pair) for pair in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    owners = db.session.scalar(select(func.count(User.id)).where(User.role == Role.OWNER))
    assert owners == 1
    # The second saw the first: either no longer an Owner itself, or the last one left.
    assert outcomes.count("demoted") == 1 and len(outcomes) == 2


def test_nobody_deletes_themselves_and_deletion_is_audited(org_admin, member):
    with pytest.raises(Conflict, match="cannot delete yourself"):
        members.delete(org_admin, actor=org_admin)
    members.delete(member, actor=org_admin)
    assert db.session.get(User, member.id) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deleted"))


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
    with pytest.raises(PortalError, match="reason"):  # a reason that shows nothing is none
        upgrades.reject([upgrade], reason="\u200b\u200d", actor=staff)
    upgrades.reject([upgrade], reason="We could not verify the company.", actor=staff)
    assert upgrade.status == RequestStatus.REJECTED
    assert not org_admin.organization.production_enabled
    assert "could not verify" in mailbox.bodies_to("billing@alpha.example")[0]
    with pytest.raises(Forbidden):
        upgrades.approve([upgrade], actor=org_admin)
