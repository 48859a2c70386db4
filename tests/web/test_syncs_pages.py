"""The Sync status overview, the institution page's secrets, select locations, and the ops
Syncs queue with its confirmed bulk actions."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, EnrollmentStatus, GrantStatus, Location, SyncStage
from portal.services import commit
from portal.services.accounts import users
from portal.services.syncs import keys, setup
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import enrollment_in, institution, sync_in, upgraded


@pytest.fixture
def developer(client):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    login(client, "alice@alpha.example")
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    return user


def _reported(enrollment, minutes_ago: int | None, server: str):
    sync = sync_in(enrollment, "dentrix", SyncStage.ACTIVE, server=server)
    if minutes_ago is not None:
        sync.last_read_at = sync.last_write_at = clock.now() - timedelta(minutes=minutes_ago)
    commit()
    return sync


def test_sync_status_shows_health_stalest_first_and_filters_to_red(client, developer):
    enrollment = enrollment_in(developer, EnrollmentStatus.LIVE)
    _reported(enrollment, 12, "FRESH")
    _reported(enrollment, 90, "STALE")
    _reported(enrollment, None, "NEW")
    page = client.get("/portal/sync-status/").get_data(as_text=True)
    assert page.index("STALE") < page.index("FRESH") < page.index("NEW")
    assert "12 minutes ago" in page and "1 hour ago" in page and "Pending install" in page
    assert "Stale</span><small> 1 hour ago" in page and "Healthy" in page
    assert "Stale 1 h" not in page  # the badge does not say again how long
    cells = re.findall(r"<td[^>]*>\s*(\w+)\s*</td>", page)
    assert "Active" in cells and "active" not in cells  # the stage by its label
    assert "within the last 30 min." in page  # SYNC_STALE_MINUTES, not "30.0 minutes"
    red_url = re.search(r'href="([^"]+)" data-testid="red-only"', page).group(1)
    red = client.get(red_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "STALE" in red and "FRESH" not in red and "NEW" not in red


def test_the_product_key_is_shown_to_its_creator_and_printable(client, developer):
    enrollment = institution(developer)
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FD", actor=developer)
    key = keys.product_key(sync)
    page = client.get(f"/portal/institutions/{enrollment.id}/").get_data(as_text=True)
    assert key in page
    assert f'data-copy="#product-key-{sync.id}"' in page  # a copy button beside it
    printable = client.get(f"/portal/syncs/{sync.id}/install/").get_data(as_text=True)
    assert key in printable and "Steps for the practice's IT" in printable
    assert 'href="https://downloads.syncportal.example/synchronizer/"' in printable
    token = csrf_token(client, f"/portal/institutions/{enrollment.id}/")
    client.post(f"/portal/syncs/{sync.id}/regenerate/", data={"csrf_token": token})
    db.session.refresh(sync)
    assert keys.product_key(sync) != key


def test_another_organization_cannot_reach_a_sync(client, developer):
    other = upgraded("Bravo Apps", "bob@bravo.example")
    theirs = setup.create_sync(
        institution(other, "Bravo Dental"), ehr="dentrix", server_name="X", actor=other
    )
    for path in ("install/", "credentials/", "windows/"):
        assert client.get(f"/portal/syncs/{theirs.id}/{path}").status_code == 404
    token = csrf_token(client, "/portal/")
    assert (
        client.post(
            f"/portal/syncs/{theirs.id}/regenerate/", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_selecting_locations_activates_the_chosen_ones_and_goes_live(client, developer):
    enrollment = enrollment_in(developer, EnrollmentStatus.NEEDS_LOCATIONS)
    locations = [
        Location(institution_id=enrollment.institution_id, foreign_id=str(i), name=f"Office {i}")
        for i in range(3)
    ]
    db.session.add_all(locations)
    commit()
    path = f"/portal/institutions/{enrollment.id}/locations/"
    token = csrf_token(client, path)
    nothing = client.post(path, data={"csrf_token": token})
    assert "Choose at least one" in nothing.get_data(as_text=True)
    client.post(path, data={"csrf_token": token, "location_id": [locations[0].id, locations[2].id]})
    db.session.refresh(enrollment)
    assert enrollment.status is EnrollmentStatus.LIVE
    assert sorted(g.location.name for g in enrollment.grants if g.status is GrantStatus.ACTIVE) == [
        "Office 0",
        "Office 2",
    ]


@pytest.fixture
def staff_client(app):
    users.create_staff("olive@ops.example", PASSWORD)
    staff = app.test_client()
    login(staff, "olive@ops.example")
    return staff


def test_ops_mark_failed_asks_for_a_reason_on_a_confirmation_page_then_emails_admins(
    staff_client, mailbox
):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    first = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING, "One"), "dentrix", SyncStage.INSTALLING
    )
    second = sync_in(enrollment_in(user, EnrollmentStatus.LIVE, "Two"), "dentrix", SyncStage.ACTIVE)
    token = csrf_token(staff_client, "/ops/syncs/")
    chosen = staff_client.post(
        "/ops/syncs/action/",
        data={"csrf_token": token, "action": "mark_failed", "rowid": [first.id, second.id]},
    )
    assert chosen.status_code == 302 and "/bulk/" in chosen.headers["Location"]
    review = chosen.headers["Location"]
    page = staff_client.get(review).get_data(as_text=True)
    assert "Reason" in page and "One" in page and "Two" in page
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "sync.fail"))
        == 0
    )

    refused = staff_client.post(review, data={"csrf_token": token, "reason": " "})
    assert "Give the reason" in refused.get_data(as_text=True)
    done = staff_client.post(review, data={"csrf_token": token, "reason": "Server retired"})
    assert done.status_code == 302
    for sync in (first, second):
        db.session.refresh(sync)
        assert sync.status is SyncStage.FAILED and sync.failure_reason == "Server retired"
    assert len([b for b in mailbox.bodies_to("alice@alpha.example") if "Server retired" in b]) == 2


def test_a_mixed_selection_shows_what_is_skipped_and_why_then_changes_only_the_rest(
    staff_client, mailbox
):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    ready = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING, "One"), "denticon", SyncStage.INSTALLING
    )
    waiting = sync_in(
        enrollment_in(user, EnrollmentStatus.NEEDS_CREDENTIALS, "Two"),
        "denticon",
        SyncStage.NEEDS_CREDENTIALS,
    )
    token = csrf_token(staff_client, "/ops/syncs/")
    review = f"/ops/syncs/bulk/?action=mark_installed&id={ready.id}&id={waiting.id}"
    page = staff_client.get(review).get_data(as_text=True)
    assert "Mark installed applies to 1 of them" in page
    assert (
        f"sync #{waiting.id} (Two): This sync is waiting for credentials: cannot mark it "
        "installed (only when installing)." in page
    )
    assert ready.status is SyncStage.INSTALLING  # nothing changes before confirming
    done = staff_client.post(review, data={"csrf_token": token})
    assert done.status_code == 302
    result = staff_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Mark installed: 1 sync updated." in result and f"Skipped sync #{waiting.id}" in result
    db.session.refresh(ready), db.session.refresh(waiting)
    assert ready.status is SyncStage.ACTIVE and waiting.status is SyncStage.NEEDS_CREDENTIALS
    missing = staff_client.get(f"/ops/syncs/bulk/?action=mark_installed&id={ready.id}&id=999")
    assert missing.status_code == 404


def test_staff_confirm_one_of_the_proposed_windows_per_sync(staff_client, mailbox):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    sync = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING, "One"), "dolphin", SyncStage.INSTALLING
    )
    sync.proposed_windows = [
        (clock.now() + timedelta(days=d)).replace(microsecond=0).isoformat() for d in (2, 3)
    ]
    commit()
    token = csrf_token(staff_client, "/ops/syncs/")
    chosen = staff_client.post(
        "/ops/syncs/action/",
        data={"csrf_token": token, "action": "confirm_window", "rowid": [sync.id]},
    )
    review = chosen.headers["Location"]
    page = staff_client.get(review).get_data(as_text=True)
    assert page.count(f'name="choice_{sync.id}"') == 2
    staff_client.post(
        review, data={"csrf_token": token, f"choice_{sync.id}": sync.proposed_windows[1]}
    )
    db.session.refresh(sync)
    assert sync.confirmed_window_start == datetime.fromisoformat(sync.proposed_windows[1])
    assert "Install window confirmed" in mailbox.messages[-1]["Subject"]


def test_the_ops_queue_filters_by_method_and_health(staff_client):
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE)
    sync_in(enrollment, "denticon", SyncStage.INSTALLING)
    stale = _reported(enrollment, 120, "OLDBOX")
    page = staff_client.get("/ops/syncs/").get_data(as_text=True)
    assert "OLDBOX" in page and "Denticon" in page
    red = staff_client.get("/ops/syncs/?flt0_health_is=red").get_data(as_text=True)
    assert "OLDBOX" in red and "Denticon" not in red
    cloud = staff_client.get("/ops/syncs/?flt0_install_method_equals=CLOUD").get_data(as_text=True)
    assert "OLDBOX" not in cloud and "Denticon" in cloud
    assert stale.id


def test_a_failed_sync_reads_failed_not_healthy(client, developer):
    enrollment = enrollment_in(developer, EnrollmentStatus.FAILED)
    sync = _reported(enrollment, 5, "BROKEN")
    sync.status = SyncStage.FAILED
    commit()
    listing = client.get("/portal/sync-status/").get_data(as_text=True)
    row = listing.split("BROKEN")[1].split("</tr>")[0]
    assert "Failed" in row and "Healthy" not in row
    page = client.get(f"/portal/institutions/{enrollment.id}/").get_data(as_text=True)
    health = page.split('data-testid="read-health"')[1].split("</dd>")[0]
    assert "Failed" in health and "Healthy" not in health


def test_a_sync_installed_again_reads_pending_not_healthy(client, developer):
    # Retried with a new product key: what it read before is history until it reports anew.
    enrollment = enrollment_in(developer, EnrollmentStatus.INSTALLING)
    sync = _reported(enrollment, 5, "AGAIN")
    sync.status = SyncStage.INSTALLING
    commit()
    page = client.get(f"/portal/institutions/{enrollment.id}/").get_data(as_text=True)
    for side in ("read", "write"):
        health = page.split(f'data-testid="{side}-health"')[1].split("</dd>")[0]
        assert "Pending install" in health and "Healthy" not in health
