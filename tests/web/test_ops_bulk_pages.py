"""The ops queues' bulk actions over HTTP: selected rows through a confirmation page, and
"apply to all N matching the filter" with the filter re-evaluated by the server."""

import re

import pytest
from sqlalchemy import select

from portal.admin_views.ops_requests import AccessRequestsView
from portal.extensions import db
from portal.models import (
    AccessRequest,
    EmailStatus,
    EnrollmentStatus,
    OutboundEmail,
    RequestStatus,
    SyncStage,
)
from portal.services.accounts import users
from portal.services.onboarding import consent
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import enrollment_in, live_practice, sync_in, upgraded
from tests.services.test_ops_bulk import failed_email

QUEUE = "/ops/access-requests/"
PENDING = "flt0_status_equals=pending"


@pytest.fixture
def staff(app):
    users.create_staff("olive@ops.example", PASSWORD)
    client = app.test_client()
    login(client, "olive@ops.example")
    return client


@pytest.fixture
def practice():
    return live_practice()


def ask(practice, *orgs: str) -> list[AccessRequest]:
    for org in orgs:
        consent.request_access(practice, actor=upgraded(org, f"dev@{org.lower()}.example"))
    return list(db.session.scalars(select(AccessRequest).order_by(AccessRequest.id)))


def statuses() -> list[RequestStatus]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessRequest.status).order_by(AccessRequest.id)))


def test_staff_cancel_selected_requests_only_after_the_confirmation_page(staff, practice, mailbox):
    first, second, _ = ask(practice, "Bravo", "Charlie", "Delta")
    token = csrf_token(staff, QUEUE)
    chosen = staff.post(
        f"{QUEUE}action/",
        data={"csrf_token": token, "action": "cancel", "rowid": [first.id, second.id]},
    )
    page = staff.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "Cancel: 2 access requests" in page and "Bravo" in page and "Delta" not in page
    assert statuses() == [RequestStatus.PENDING] * 3  # nothing happens before confirming
    done = staff.post(chosen.headers["Location"], data={"csrf_token": token})
    assert done.status_code == 302
    assert "2 access requests cancelled." in staff.get(done.headers["Location"]).get_data(
        as_text=True
    )
    assert statuses() == [RequestStatus.CANCELLED] * 2 + [RequestStatus.PENDING]


def test_apply_to_all_matching_acts_on_exactly_what_the_filter_selects(staff, practice, mailbox):
    bravo = upgraded("Bravo", "dev@bravo.example")
    consent.cancel(consent.request_access(practice, actor=bravo), actor=bravo)
    ask(practice, "Charlie", "Delta")
    listing = staff.get(f"{QUEUE}?{PENDING}").get_data(as_text=True)
    assert "Apply to all 2 matching the filter" in listing
    review = f"{QUEUE}bulk/?action=expire&all=1&{PENDING}"
    page = staff.get(review).get_data(as_text=True)
    assert "Expire now: 2 access requests matching the filter" in page
    assert 'name="expected" value="2"' in page
    done = staff.post(review, data={"csrf_token": csrf_token(staff, review), "expected": "2"})
    assert done.status_code == 302 and PENDING in done.headers["Location"]
    assert statuses() == [RequestStatus.CANCELLED] + [RequestStatus.EXPIRED] * 2


def test_apply_to_all_refuses_when_the_filter_now_matches_a_different_count(
    staff, practice, mailbox
):
    ask(practice, "Bravo", "Charlie")
    review = f"{QUEUE}bulk/?action=cancel&all=1&{PENDING}"
    token = csrf_token(staff, review)  # the page said 2
    ask(practice, "Delta")
    again = staff.post(review, data={"csrf_token": token, "expected": "2"})
    assert again.status_code == 200
    assert "The filter now matches 3 rows" in again.get_data(as_text=True)
    forged = staff.post(review, data={"csrf_token": token, "expected": "1", "id": "1"})
    assert forged.status_code == 200
    assert statuses() == [RequestStatus.PENDING] * 3


def test_apply_to_all_is_capped(staff, practice, mailbox, monkeypatch):
    ask(practice, "Bravo", "Charlie")
    monkeypatch.setattr(AccessRequestsView, "bulk_limit", 1)
    review = f"{QUEUE}bulk/?action=cancel&all=1&{PENDING}"
    page = staff.get(review).get_data(as_text=True)
    assert "matches 2 rows; a bulk action takes at most 1" in page
    assert 'name="expected"' not in page
    staff.post(review, data={"csrf_token": csrf_token(staff, QUEUE), "expected": "2"})
    assert statuses() == [RequestStatus.PENDING] * 2


def test_bulk_pages_are_for_staff_and_known_actions_only(app, staff, org_admin):
    assert staff.get(f"{QUEUE}bulk/?action=explode&all=1").status_code == 404
    developer = app.test_client()
    login(developer, "alice@alpha.example")
    assert developer.get(f"{QUEUE}bulk/?action=cancel&all=1").status_code == 403
    assert developer.post(f"{QUEUE}bulk/?action=cancel&all=1").status_code in (400, 403)


def test_staff_resend_a_failed_email_from_the_outbox_list(staff, mailbox):
    email = failed_email("lost@example.com")
    listing = "/ops/outbox/"
    staff.post(
        f"{listing}action/",
        data={"csrf_token": csrf_token(staff, listing), "action": "resend", "rowid": [email.id]},
    )
    assert [m["To"] for m in mailbox.messages] == ["lost@example.com"]
    db.session.refresh(email)
    assert email.status is EmailStatus.SENT


def test_resend_all_failed_email_matching_the_filter(staff, mailbox):
    failed_email("a@example.com"), failed_email("b@example.com")
    review = "/ops/outbox/bulk/?action=resend&all=1&flt0_status_equals=failed"
    assert "Resend: 2 outbound email matching" in staff.get(review).get_data(as_text=True)
    staff.post(review, data={"csrf_token": csrf_token(staff, review), "expected": "2"})
    assert len(mailbox.messages) == 2  # the worker sent them
    statuses = db.session.scalars(select(OutboundEmail.status)).all()
    assert statuses == [EmailStatus.SENT] * 2


def test_mark_all_matching_syncs_failed_with_a_reason(staff, mailbox):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    installing = [
        sync_in(
            enrollment_in(user, EnrollmentStatus.INSTALLING, n), "denticon", SyncStage.INSTALLING
        )
        for n in ("One", "Two")
    ]
    active = sync_in(
        enrollment_in(user, EnrollmentStatus.LIVE, "Three"), "dentrix", SyncStage.ACTIVE
    )
    review = "/ops/syncs/bulk/?action=mark_failed&all=1&flt0_status_equals=installing"
    page = staff.get(review).get_data(as_text=True)
    assert "Mark failed: 2 syncs matching the filter" in page and "Three" not in page
    token = csrf_token(staff, review)
    refused = staff.post(review, data={"csrf_token": token, "expected": "2", "reason": ""})
    assert "Give the reason" in refused.get_data(as_text=True)
    staff.post(review, data={"csrf_token": token, "expected": "2", "reason": "Server retired"})
    for sync in [*installing, active]:
        db.session.refresh(sync)
    assert [s.status for s in installing] == [SyncStage.FAILED] * 2
    assert active.status is SyncStage.ACTIVE
    assert re.search("Server retired", mailbox.bodies_to("alice@alpha.example")[-1])
