"""Regenerating a product key and cancelling an access request ask first, saying what
stops; only a POST with its token acts. A cancelled request can be asked again. A question
or form whose action cannot happen now is not shown: the page says why instead."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccessRequest,
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    RequestStatus,
    SyncStage,
)
from portal.services.onboarding import consent, deactivations
from portal.services.syncs import keys, lifecycle, setup
from tests.conftest import csrf_token
from tests.onboarding import institution, live_practice


@pytest.fixture
def installing(bravo):
    """Bravo's self-installed sync, waiting for the Synchronizer with its product key."""
    enrollment = institution(bravo)
    return setup.create_sync(enrollment, ehr="dentrix", server_name="FD", actor=bravo)


@pytest.fixture
def awaiting(bravo):
    """Bravo's request for a practice that already runs a Synchronizer, not answered yet."""
    return consent.request_access(live_practice(), actor=bravo)


def home(sync) -> int:
    return lifecycle.enrollment_of(sync).id


def audit_count(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def page(client, path: str) -> str:
    return client.get(path, follow_redirects=True).get_data(as_text=True)


def test_the_institution_page_links_to_the_confirmations_not_to_posts(client, installing, awaiting):
    own = page(client, f"/portal/institutions/{home(installing)}/")
    asked = page(client, f"/portal/institutions/{awaiting.id}/")
    assert f'href="/portal/syncs/{installing.id}/regenerate/"' in own
    assert f'action="/portal/syncs/{installing.id}/regenerate/"' not in own
    assert f'href="/portal/institutions/{awaiting.id}/access/cancel"' in asked
    assert f'action="/portal/institutions/{awaiting.id}/access/cancel"' not in asked


def test_asking_to_regenerate_a_key_says_it_stops_and_changes_nothing(client, installing):
    key = keys.product_key(installing)
    shown = page(client, f"/portal/syncs/{installing.id}/regenerate/")
    assert "Regenerate the product key?" in shown
    assert "The current product key stops working now" in shown
    assert "the Synchronizer must be installed with the new key" in shown
    assert 'name="csrf_token"' in shown and ">Regenerate the key</button>" in shown
    assert f'href="/portal/institutions/{home(installing)}/">Keep the current key' in shown
    db.session.refresh(installing)
    assert keys.product_key(installing) == key and audit_count("sync.regenerate_key") == 0


def test_a_sync_past_installing_is_not_asked_about_a_new_key(client, installing):
    installing.status = SyncStage.ACTIVE
    db.session.commit()
    key = keys.product_key(installing)
    asked = client.get(f"/portal/syncs/{installing.id}/regenerate/")
    assert asked.status_code == 302
    assert asked.location.endswith(f"/portal/institutions/{home(installing)}/")
    shown = page(client, asked.location)
    assert "This sync is active: cannot regenerate its product key (only when installing)" in shown
    assert "Regenerate the product key?" not in shown
    db.session.refresh(installing)
    assert keys.product_key(installing) == key


@pytest.mark.parametrize(
    ("asked_at", "refusal", "question"),
    [
        (
            "access/cancel",
            "Shared Smiles is already deactivated: cannot cancel the access request",
            "Cancel the access request to Shared Smiles?",
        ),
        (
            "deactivate/",
            "Shared Smiles is already deactivated: cannot deactivate it again.",
            'name="scope"',
        ),
    ],
)
def test_a_cancelled_request_is_asked_neither_to_cancel_nor_to_deactivate(
    client, awaiting, bravo, asked_at, refusal, question
):
    consent.cancel(awaiting, actor=bravo)
    asked = client.get(f"/portal/institutions/{awaiting.id}/{asked_at}")
    assert asked.status_code == 302
    shown = page(client, asked.location)
    assert refusal in shown
    assert question not in shown


def test_a_deactivated_institution_offers_no_new_sync_and_its_form_does_not_open(
    client, installing, bravo
):
    enrollment_id = home(installing)
    page_path = f"/portal/institutions/{enrollment_id}/"
    assert "Create new sync" in page(client, page_path)
    deactivations.deactivate(db.session.get(Enrollment, enrollment_id), actor=bravo)
    assert "Create new sync" not in page(client, page_path)
    asked = client.get(f"{page_path}syncs/new/")
    assert asked.status_code == 302 and asked.location.endswith(page_path)
    assert "Bright Smiles is deactivated: cannot add a sync." in page(client, asked.location)


def test_confirming_regenerates_the_key_and_audits_it(client, installing):
    key = keys.product_key(installing)
    path = f"/portal/syncs/{installing.id}/regenerate/"
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 302
    assert done.location.endswith(f"/portal/institutions/{home(installing)}/")
    db.session.refresh(installing)
    assert keys.product_key(installing) != key and audit_count("sync.regenerate_key") == 1
    assert "the old one no longer works" in page(client, done.location)


def test_regenerating_without_the_token_is_refused(client, installing):
    key = keys.product_key(installing)
    assert client.post(f"/portal/syncs/{installing.id}/regenerate/").status_code == 400
    db.session.refresh(installing)
    assert keys.product_key(installing) == key


def test_asking_to_cancel_a_request_says_the_link_stops_and_changes_nothing(client, awaiting):
    shown = page(client, f"/portal/institutions/{awaiting.id}/access/cancel")
    assert "Cancel the access request to Shared Smiles?" in shown
    assert "The link we emailed to Shared Smiles stops working now" in shown
    assert "moves to Deactivated" in shown and ">Cancel the request</button>" in shown
    db.session.refresh(awaiting)
    assert awaiting.status is EnrollmentStatus.AWAITING_CONSENT
    assert db.session.scalar(select(AccessRequest.status)) is RequestStatus.PENDING
    assert audit_count("access.cancelled") == 0


def test_cancelling_without_the_token_is_refused(client, awaiting):
    assert client.post(f"/portal/institutions/{awaiting.id}/access/cancel").status_code == 400
    db.session.refresh(awaiting)
    assert awaiting.status is EnrollmentStatus.AWAITING_CONSENT


def test_a_cancelled_request_can_be_asked_again_from_the_page(client, awaiting, mailbox):
    path = f"/portal/institutions/{awaiting.id}/access/cancel"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    db.session.refresh(awaiting)
    assert awaiting.status is EnrollmentStatus.DEACTIVATED
    assert audit_count("access.cancelled") == 1 and audit_count("enrollment.cancel_request") == 1

    shown = page(client, f"/portal/institutions/{awaiting.id}/")
    assert "Access request cancelled: the practice&#39;s link no longer works." in shown
    assert "The access request to Shared Smiles was cancelled." in shown
    again = f"/portal/institutions/{awaiting.id}/access/again"
    assert f'action="{again}"' in shown and "Request access again" in shown

    sent = len(mailbox.bodies_to("desk@shared.example"))
    client.post(
        again, data={"csrf_token": csrf_token(client, f"/portal/institutions/{awaiting.id}/")}
    )
    db.session.refresh(awaiting)
    assert awaiting.status is EnrollmentStatus.AWAITING_CONSENT
    assert len(mailbox.bodies_to("desk@shared.example")) == sent + 1
    statuses = db.session.scalars(select(AccessRequest.status).order_by(AccessRequest.id))
    assert list(statuses) == [RequestStatus.CANCELLED, RequestStatus.PENDING]
