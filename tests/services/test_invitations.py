import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    EmailStatus,
    Invitation,
    InvitationStatus,
    OutboundEmail,
    Role,
    User,
)
from portal.services import Conflict, Forbidden, RateLimited
from portal.services.accounts import invitations, users
from tests.conftest import PASSWORD, signup


def link_in(mailbox, address):
    return mailbox.bodies_to(address)[-1].split("/invitations/")[1].split()[0]


def test_an_invitee_joins_through_the_emailed_link(org_admin, mailbox):
    invitations.invite("New.Person@alpha.example", role=Role.ADMIN, actor=org_admin)
    body = mailbox.bodies_to("new.person@alpha.example")[0]
    assert "Alpha Apps" in body and "as an Admin" in body
    user = invitations.accept(
        link_in(mailbox, "new.person@alpha.example"), name="Nia", password=PASSWORD
    )
    assert user.organization_id == org_admin.organization_id and user.is_admin
    with pytest.raises(invitations.LinkNoLongerValid):
        invitations.accept(
            link_in(mailbox, "new.person@alpha.example"), name="x", password=PASSWORD
        )
    changes = select(AuditEvent.action).where(AuditEvent.action.not_like("denied.%"))
    actions = db.session.scalars(changes.order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["invitation.sent", "invitation.accepted"]


def test_the_old_link_dies_when_the_invitation_is_resent(org_admin, mailbox):
    invitation = invitations.invite("r@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    old = link_in(mailbox, "r@alpha.example")
    invitations.resend(invitation, actor=org_admin)
    new = link_in(mailbox, "r@alpha.example")
    assert old != new
    with pytest.raises(invitations.LinkNoLongerValid):
        invitations.find_by_link(old)
    assert invitations.find_by_link(new).id == invitation.id


def test_resending_is_limited_to_three_an_hour(org_admin, mailbox):
    invitation = invitations.invite("r@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    for _ in range(3):
        invitations.resend(invitation, actor=org_admin)
    with pytest.raises(RateLimited):
        invitations.resend(invitation, actor=org_admin)
    with clock.travel(timedelta(minutes=61)):
        invitations.resend(invitation, actor=org_admin)


def test_cancelled_and_expired_links_create_nothing(org_admin, mailbox):
    cancelled = invitations.invite("c@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    delivered = link_in(mailbox, "c@alpha.example")  # the invitee has the email already
    invitations.cancel(cancelled, actor=org_admin)
    invitations.invite("e@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    with pytest.raises(invitations.LinkNoLongerValid):
        invitations.accept(delivered, name="C", password=PASSWORD)
    with clock.travel(timedelta(days=8)), pytest.raises(invitations.LinkNoLongerValid):
        invitations.accept(link_in(mailbox, "e@alpha.example"), name="E", password=PASSWORD)
    assert db.session.scalar(select(func.count(User.id))) == 1
    statuses = set(db.session.scalars(select(Invitation.status)))
    assert statuses == {InvitationStatus.CANCELLED, InvitationStatus.EXPIRED}


def test_inviting_a_member_says_so_and_other_organizations_stay_invisible(org_admin, mailbox):
    signup("Elsewhere", "taken@else.example")
    with pytest.raises(Conflict, match="already a member"):
        invitations.invite("alice@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    invitation = invitations.invite("taken@else.example", role=Role.DEVELOPER, actor=org_admin)
    assert invitation.status == InvitationStatus.PENDING  # the inviter learns nothing
    with pytest.raises(Conflict, match="already has a SyncPortal account"):
        invitations.accept(link_in(mailbox, "taken@else.example"), name="T", password=PASSWORD)


def test_members_cannot_invite(org_admin):
    member = users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)
    with pytest.raises(Forbidden):
        invitations.invite("x@alpha.example", role=Role.DEVELOPER, actor=member)


def test_two_concurrent_accepts_create_exactly_one_user(app, org_admin, mailbox):
    invitations.invite("race@alpha.example", role=Role.DEVELOPER, actor=org_admin)
    raw = link_in(mailbox, "race@alpha.example")
    barrier, outcomes = threading.Barrier(2), []

    def accept():
        with app.app_context():
            barrier.wait()
            try:
                invitations.accept(raw, name="Racer", password=PASSWORD)
                outcomes.append("created")
            except Exception as error:  # noqa: BLE001 - the loser's refusal is the point
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1
    assert (
        db.session.scalar(select(func.count(User.id)).where(User.email == "race@alpha.example"))
        == 1
    )


def test_a_cancelled_or_replaced_invitation_takes_back_its_queued_email(org_admin, mail_settings):
    # The mail server is down: the invitation's email waits in the outbox.
    invitation = invitations.invite("later@alpha.example", role=Role.DEVELOPER, actor=org_admin)

    def queued() -> list[OutboundEmail]:
        return db.session.scalars(
            select(OutboundEmail).where(
                OutboundEmail.recipient == "later@alpha.example",
                OutboundEmail.status == EmailStatus.PENDING,
            )
        ).all()

    (first,) = queued()
    old_link = first.body_text
    invitations.resend(invitation, actor=org_admin)
    (second,) = queued()  # only the email with the new link waits
    assert second.body_text != old_link
    invitations.cancel(invitation, actor=org_admin)
    assert queued() == []
