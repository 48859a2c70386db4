"""Creating syncs and getting them installed: the developer's side and ops' side."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Enrollment, EnrollmentStatus, InstallMethod, Mode, SyncStage
from portal.services import Conflict, PortalError, secrets
from portal.services.accounts import users
from portal.services.syncs import installs, keys, setup
from tests.conftest import PASSWORD
from tests.onboarding import institution, upgraded


@pytest.fixture
def user():
    return upgraded("Alpha Apps", "alice@alpha.example", "Alice")


@pytest.fixture
def staff():
    return users.create_staff("olive@ops.example", PASSWORD)


@pytest.mark.parametrize(
    "ehr, method, sync_status, enrollment_status",
    [
        ("eaglesoft", InstallMethod.SELF_INSTALLER, SyncStage.INSTALLING, "installing"),
        ("orthotrac", InstallMethod.SCHEDULED, SyncStage.NEEDS_SCHEDULE, "needs_schedule"),
        ("athena", InstallMethod.CLOUD, SyncStage.NEEDS_CREDENTIALS, "needs_credentials"),
    ],
)
def test_the_system_decides_how_a_sync_is_installed(
    user, ehr, method, sync_status, enrollment_status
):
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr=ehr, server_name="SRV", actor=user)
    assert sync.install_method is method and sync.status is sync_status
    assert enrollment.status == enrollment_status
    assert (sync.product_key_digest is not None) == (method is InstallMethod.SELF_INSTALLER)
    assert (sync.extension_token_encrypted is not None) == (method is InstallMethod.CLOUD)
    assert sync.server_name == ("" if method is InstallMethod.CLOUD else "SRV")


def test_product_keys_are_long_random_and_stored_as_a_digest(user):
    enrollment = institution(user)
    first = setup.create_sync(enrollment, ehr="dentrix", server_name="A", actor=user)
    second = setup.create_sync(enrollment, ehr="dentrix", server_name="B", actor=user)
    key = keys.product_key(first)
    assert len(keys.canonical_product_key(key)) == 25 and key != keys.product_key(second)
    assert first.product_key_digest == secrets.digest(keys.canonical_product_key(key))
    assert key not in (first.product_key_encrypted or "")


def test_on_prem_syncs_need_a_server_name_and_one_sync_per_server(user):
    enrollment = institution(user)
    with pytest.raises(PortalError, match="enter the server name"):
        setup.create_sync(enrollment, ehr="dentrix", server_name=" ", actor=user)
    setup.create_sync(enrollment, ehr="dentrix", server_name="FRONT", actor=user)
    with pytest.raises(Conflict, match="already has a sync on server front"):
        setup.create_sync(enrollment, ehr="opendental", server_name="front", actor=user)


def test_the_sandbox_takes_one_complimentary_open_dental_sync(user):
    sandbox = db.session.scalars(
        select(Enrollment).where(
            Enrollment.organization_id == user.organization_id, Enrollment.mode == Mode.SANDBOX
        )
    ).one()
    with pytest.raises(PortalError, match="one complimentary Open Dental sync only"):
        setup.create_sync(sandbox, ehr="dentrix", server_name="S", actor=user)
    sync = setup.create_sync(sandbox, ehr="opendental", server_name="S", actor=user)
    assert sync.status is SyncStage.INSTALLING and sandbox.status is EnrollmentStatus.LIVE
    with pytest.raises(Conflict, match="already has its complimentary"):
        setup.create_sync(sandbox, ehr="opendental", server_name="T", actor=user)


def test_cloud_passwords_are_encrypted_and_a_rejection_clears_them(user, staff):
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="denticon", server_name="", actor=user)
    with pytest.raises(PortalError, match="web address"):
        setup.submit_credentials(sync, url="nope", username="a", password="b", actor=user)
    setup.submit_credentials(
        sync, url="https://x.denticon.example", username="admin", password="hunter22", actor=user
    )
    assert "hunter22" not in sync.credentials_password_encrypted
    assert secrets.decrypt(sync.credentials_password_encrypted) == "hunter22"
    installs.reject_credentials([sync], reason="  Locked out  ", actor=staff)
    assert sync.credentials_password_encrypted is None and sync.failure_reason == "Locked out"
    assert enrollment.status is EnrollmentStatus.NEEDS_CREDENTIALS
    assert enrollment.status_reason == "Locked out"


def _tomorrow_at(hour: int) -> datetime:
    day = (clock.now() + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, 0)


def test_scheduled_installs_take_up_to_three_windows_then_ops_confirm_and_install(user, staff):
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="dolphin", server_name="SRV", actor=user)
    with pytest.raises(PortalError, match="one to 3"):
        setup.propose_windows(
            sync,
            starts=[_tomorrow_at(h) for h in (9, 10, 11, 12)],
            timezone="America/Chicago",
            actor=user,
        )
    with pytest.raises(PortalError, match="between tomorrow"):
        setup.propose_windows(
            sync, starts=[datetime(2001, 1, 1, 9)], timezone="America/Chicago", actor=user
        )
    setup.propose_windows(
        sync, starts=[_tomorrow_at(9), _tomorrow_at(14)], timezone="America/Chicago", actor=user
    )
    assert enrollment.status is EnrollmentStatus.INSTALLING and len(sync.proposed_windows) == 2
    refused = installs.mark_installed([sync], actor=staff)
    assert refused.done == [] and refused.skipped == [(sync, "Confirm an install window first.")]
    assert sync.status is SyncStage.INSTALLING
    elsewhen = installs.confirm_windows(
        [sync], windows={sync.id: "2030-01-01T09:00:00+00:00"}, actor=staff
    )
    assert elsewhen.done == [] and "windows the developer proposed" in elsewhen.skipped[0][1]
    assert sync.confirmed_window_start is None
    installs.confirm_windows([sync], windows={sync.id: sync.proposed_windows[1]}, actor=staff)
    assert sync.confirmed_window_start == _tomorrow_at(14).replace(
        tzinfo=ZoneInfo("America/Chicago")
    )
    installs.mark_installed([sync], actor=staff)
    assert sync.status is SyncStage.ACTIVE and enrollment.status is EnrollmentStatus.LIVE
