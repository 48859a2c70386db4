"""The issues inbox: each kind of issue appears when its state arises and goes away when it is
resolved; Snooze hides one for a while; staff see every organization's."""

from datetime import timedelta

import pytest

from portal import clock
from portal.models import EnrollmentStatus, Mode, Role, SyncStage
from portal.services import Forbidden, PortalError, commit, issues
from portal.services.accounts import users
from portal.services.imports import csv_import
from portal.services.onboarding import consent
from portal.services.syncs import agents, installs, setup
from portal.services.webhooks import endpoints
from tests.conftest import PASSWORD
from tests.e2e.world import BAD_CSV, GOOD_CSV
from tests.onboarding import enrollment_in, institution, live_practice, sync_in, upgraded
from tests.sandbox_world import running_sandbox_sync


@pytest.fixture
def alice():
    return upgraded("Bravo Apps", "alice@bravo.example", "Alice")


def kinds(user, mode=Mode.PRODUCTION) -> list[str]:
    return [issue.kind.value for issue in issues.open_issues(user.organization, mode)]


def test_rejected_credentials_until_new_ones_are_sent(alice):
    enrollment = enrollment_in(alice, EnrollmentStatus.FAILED, "Cloud Dental")
    sync = sync_in(enrollment, "athena", SyncStage.FAILED)
    assert kinds(alice) == ["credentials_rejected"]
    setup.submit_credentials(
        sync, url="https://practice.athena.example", username="u", password="p", actor=alice
    )
    assert kinds(alice) == []


def test_credentials_staff_sent_back_until_new_ones_are_sent(alice):
    """The way a rejection really happens: staff send the cloud sync back for new ones."""
    staff = users.create_staff("olive@ops.example", PASSWORD)
    sync = setup.create_sync(institution(alice, "Cloud Dental"), ehr="denticon", server_name="",
                             actor=alice)  # fmt: skip
    assert kinds(alice) == []  # waiting for its first credentials is a to-do, not an issue
    setup.submit_credentials(
        sync, url="https://x.denticon.example", username="u", password="p", actor=alice
    )
    installs.reject_credentials([sync], reason="Locked out", actor=staff)
    [rejected] = issues.open_issues(alice.organization, Mode.PRODUCTION)
    assert (rejected.kind, rejected.title) == (issues.Kind.CREDENTIALS_REJECTED, "Cloud Dental")
    setup.submit_credentials(
        sync, url="https://x.denticon.example", username="u", password="q", actor=alice
    )
    assert kinds(alice) == []
    with clock.travel(timedelta(hours=73)):  # a cloud install that is late is only late
        assert kinds(alice) == ["install_late"]


def test_a_failed_sync_until_it_is_retried(alice):
    sync = setup.create_sync(institution(alice, "Failing Dental"), ehr="dentrix",
                             server_name="FRONT", actor=alice)  # fmt: skip
    agents.report_failure(sync, code="db_unreachable", message="Cannot open the database")
    [failed] = issues.open_issues(alice.organization, Mode.PRODUCTION)
    assert (failed.kind, failed.title) == (issues.Kind.SYNC_FAILED, "Failing Dental")
    assert failed.label == "Sync failed" and "retries with a new product key" in failed.what_to_do
    setup.retry_with_new_key(sync, actor=alice)
    assert kinds(alice) == []


def test_an_install_past_72_hours_until_the_synchronizer_reports(alice):
    enrollment = institution(alice, "Install Dental")
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FRONT", actor=alice)
    assert kinds(alice) == []
    with clock.travel(timedelta(hours=73)):
        assert kinds(alice) == ["install_late"]
        sync.status, sync.last_read_at, sync.last_write_at = (SyncStage.ACTIVE,) + (
            clock.now(),
        ) * 2
        commit()
        assert kinds(alice) == []


def test_a_sync_down_until_it_is_heard_from_again(alice):
    sync = sync_in(enrollment_in(alice, EnrollmentStatus.LIVE, "Quiet Dental"), "dentrix",
                   SyncStage.ACTIVE)  # fmt: skip
    sync.last_read_at = sync.last_write_at = clock.now() - timedelta(hours=2)
    commit()
    [down] = issues.open_issues(alice.organization, Mode.PRODUCTION)
    assert down.kind is issues.Kind.SYNC_DOWN and down.title == "Quiet Dental"
    assert down.first_seen < down.last_seen <= clock.now()
    assert kinds(alice, Mode.SANDBOX) == []  # the other mode has its own inbox
    sync.last_read_at = sync.last_write_at = clock.now()
    commit()
    assert kinds(alice) == []


def test_a_sandbox_sync_down_is_mended_on_the_sandbox_page_not_by_a_practice(alice):
    sync = running_sandbox_sync(alice)
    sync.last_read_at = sync.last_write_at = clock.now() - timedelta(hours=2)
    commit()
    [down] = issues.open_issues(alice.organization, Mode.SANDBOX)
    assert down.kind is issues.Kind.SYNC_DOWN and down.link == ("portal_sandbox.index", {})
    assert "Sandbox page" in down.what_to_do and "practice" not in down.what_to_do


def test_consent_expiring_then_expired_until_access_is_asked_again(alice):
    shared = live_practice()  # Alpha Apps' live practice, which Alice asks for
    enrollment = consent.request_access(shared, actor=alice)
    assert kinds(alice) == []
    with clock.travel(timedelta(days=24)):
        assert kinds(alice) == ["consent_expiring"]
    with clock.travel(timedelta(days=31)):
        consent.expire_due()
        assert kinds(alice) == ["consent_expired"]
        consent.request_again(enrollment, actor=alice)
        assert kinds(alice) == []


def test_a_webhook_endpoint_turned_off_until_it_is_on_again(alice):
    endpoint = endpoints.create(
        alice.organization, Mode.PRODUCTION, target_url="http://127.0.0.1:9/hooks", by=alice
    ).endpoint
    endpoints.change(endpoint, active=False, by=alice)
    assert kinds(alice) == ["webhook_off"]
    endpoints.reenable(endpoint, by=alice)
    assert kinds(alice) == []


def test_an_import_with_errors_until_a_new_file_is_uploaded(alice):
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    assert kinds(alice) == ["import_errors"]
    csv_import.upload(alice.organization, "fixed.csv", GOOD_CSV.encode(), actor=alice)
    assert kinds(alice) == []


def test_snooze_hides_an_issue_until_its_time_and_viewers_cannot(alice):
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    [issue] = issues.open_issues(alice.organization, Mode.PRODUCTION)
    viewer = users.add_member(alice.organization, "v@bravo.example", "V", PASSWORD, Role.VIEWER)
    with pytest.raises(Forbidden):
        issues.snooze(alice.organization, issue.key, "1d", actor=viewer)
    with pytest.raises(PortalError, match="a day or for a week"):
        issues.snooze(alice.organization, issue.key, "forever", actor=alice)
    issues.snooze(alice.organization, issue.key, "1d", actor=alice)
    assert kinds(alice) == []
    with clock.travel(timedelta(days=1, minutes=1)):
        assert kinds(alice) == ["import_errors"]


def test_staff_see_every_organizations_issues(alice):
    csv_import.upload(alice.organization, "broken.csv", BAD_CSV.encode(), actor=alice)
    other = upgraded("Charlie Apps", "carol@charlie.example")
    csv_import.upload(other.organization, "broken.csv", BAD_CSV.encode(), actor=other)
    found = issues.open_issues(None, None)
    assert {i.organization_id for i in found} == {alice.organization_id, other.organization_id}
    assert [i.organization_id for i in issues.open_issues(other.organization, None)] == [
        other.organization_id
    ]
