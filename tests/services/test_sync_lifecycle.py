"""Every operation of the sync lifecycle, for every status and install method."""

import pytest

from portal.models import EnrollmentStatus, InstallMethod, SyncStage
from portal.services import InvalidTransition
from portal.services.onboarding import syncs
from tests.onboarding import enrollment_in, sync_in, upgraded

SYSTEM_FOR = {
    InstallMethod.SELF_INSTALLER: "dentrix",
    InstallMethod.SCHEDULED: "dolphin",
    InstallMethod.CLOUD: "denticon",
}
CASES = [
    (operation, status, method)
    for operation in syncs.TRANSITIONS
    for status in SyncStage
    for method in InstallMethod
]
EXTRA = {"fail": {"reason": "disk full"}, "reject_credentials": {"reason": "wrong password"}}


def _call(operation, sync, user):
    move = getattr(syncs, operation)
    return (
        move(sync) if operation == "report" else move(sync, actor=user, **EXTRA.get(operation, {}))
    )


@pytest.mark.parametrize(
    "operation, status, method", CASES, ids=[f"{o}-{m}-from-{s}" for o, s, m in CASES]
)
def test_each_sync_operation_moves_only_from_its_statuses_and_methods(operation, status, method):
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, EnrollmentStatus.INSTALLING)
    sync = sync_in(enrollment, SYSTEM_FOR[method], status)
    statuses, target, methods = syncs.TRANSITIONS[operation]

    if status in statuses and method in methods:
        _call(operation, sync, user)
        assert sync.status is target
    else:
        with pytest.raises(InvalidTransition, match="[Cc]annot"):
            _call(operation, sync, user)
        assert sync.status is status


@pytest.mark.parametrize(
    "operation, enrollment_before, enrollment_after",
    [
        ("submit_credentials", EnrollmentStatus.NEEDS_CREDENTIALS, EnrollmentStatus.INSTALLING),
        ("reject_credentials", EnrollmentStatus.INSTALLING, EnrollmentStatus.NEEDS_CREDENTIALS),
        ("mark_installed", EnrollmentStatus.INSTALLING, EnrollmentStatus.LIVE),
        ("fail", EnrollmentStatus.INSTALLING, EnrollmentStatus.FAILED),
        ("fail", EnrollmentStatus.LIVE, EnrollmentStatus.FAILED),
        ("retry", EnrollmentStatus.FAILED, EnrollmentStatus.INSTALLING),
    ],
)
def test_the_creating_organizations_enrollment_follows_its_sync(
    operation, enrollment_before, enrollment_after
):
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, enrollment_before)
    sync_status = next(iter(syncs.TRANSITIONS[operation][0]))
    sync = sync_in(enrollment, "denticon", sync_status)
    _call(operation, sync, user)
    assert enrollment.status is enrollment_after


def test_a_live_enrollment_stays_live_while_a_second_sync_waits_for_credentials():
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE)
    sync = sync_in(enrollment, "denticon", SyncStage.NEEDS_CREDENTIALS)
    syncs.submit_credentials(sync, actor=user)
    assert sync.status is SyncStage.INSTALLING and enrollment.status is EnrollmentStatus.LIVE
