"""Every public action of the sync lifecycle, for every stage and install method: it moves
the sync as the table says, or it is refused with a clear reason and changes nothing."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditEvent,
    EnrollmentStatus,
    InstallMethod,
    OutboundEmail,
    Sync,
    SyncStage,
)
from portal.services import PortalError, commit
from portal.services.accounts import users
from portal.services.syncs import agents, installs, keys, lifecycle, setup
from tests.conftest import PASSWORD
from tests.onboarding import enrollment_in, scheduled_with_windows, sync_in, upgraded

SYSTEM_FOR = {
    InstallMethod.SELF_INSTALLER: "dentrix",
    InstallMethod.SCHEDULED: "dolphin",
    InstallMethod.CLOUD: "denticon",
}


def _window() -> datetime:
    day = (clock.now() + timedelta(days=3)).date()
    return datetime(day.year, day.month, day.day, 9, 0)


def _staff():
    return users.create_staff("olive@ops.example", PASSWORD)


def _bulk(outcome):
    # A staff bulk call reports a refused sync as skipped, with the reason.
    if outcome.skipped:
        raise PortalError(outcome.skipped[0][1])


# public action: (the step of the table it takes, how to call it)
ACTIONS = {
    "setup.regenerate_product_key": (
        "regenerate_key",
        lambda sync, user, staff: setup.regenerate_product_key(sync, actor=user),
    ),
    "setup.retry_with_new_key": (
        "retry",
        lambda sync, user, staff: setup.retry_with_new_key(sync, actor=user),
    ),
    "setup.submit_credentials": (
        "submit_credentials",
        lambda sync, user, staff: setup.submit_credentials(
            sync, url="https://x.denticon.example", username="admin", password="pw", actor=user
        ),
    ),
    "setup.propose_windows": (
        "propose_windows",
        lambda sync, user, staff: setup.propose_windows(
            sync, starts=[_window()], timezone="America/Chicago", actor=user
        ),
    ),
    "installs.confirm_windows": (
        "confirm_window",
        lambda sync, user, staff: _bulk(
            installs.confirm_windows(
                [sync], windows={sync.id: (sync.proposed_windows or [""])[0]}, actor=staff
            )
        ),
    ),
    "installs.mark_installed": (
        "mark_installed",
        lambda sync, user, staff: _bulk(installs.mark_installed([sync], actor=staff)),
    ),
    "installs.reject_credentials": (
        "reject_credentials",
        lambda sync, user, staff: _bulk(
            installs.reject_credentials([sync], reason="wrong password", actor=staff)
        ),
    ),
    "installs.mark_failed": (
        "fail",
        lambda sync, user, staff: _bulk(installs.mark_failed([sync], reason="disk", actor=staff)),
    ),
    "agents.activate": (
        "activate",
        lambda sync, user, staff: agents.activate(
            keys.product_key(sync) or "", hostname="H", version="1"
        ),
    ),
    "agents.heartbeat": (
        "heartbeat",
        lambda sync, user, staff: agents.heartbeat(
            sync, last_read_at=clock.now(), last_write_at=clock.now(), locations=[]
        ),
    ),
    "agents.report_failure": (
        "fail",
        lambda sync, user, staff: agents.report_failure(sync, code="E1", message="Database gone"),
    ),
}
CASES = [
    (action, stage, method) for action in ACTIONS for stage in SyncStage for method in InstallMethod
]


def _arranged(stage: SyncStage, method: InstallMethod):
    """A sync of `method` in `stage` whose inputs satisfy every guard but the stage's."""
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    sync = sync_in(enrollment_in(user, EnrollmentStatus.INSTALLING), SYSTEM_FOR[method], stage)
    if method is InstallMethod.SCHEDULED:
        sync.proposed_windows = [_window().replace(tzinfo=clock.now().tzinfo).isoformat()]
    if method is InstallMethod.SELF_INSTALLER and stage is SyncStage.ACTIVE:
        sync.agent_token_digest = "already-activated"
    commit()
    return user, sync, _staff()


def _count(model) -> int:
    query = select(func.count()).select_from(model)
    if model is AuditEvent:  # the trail of changes (a refused product key adds its denial)
        query = query.where(AuditEvent.action.not_like("denied.%"))
    return db.session.scalar(query)


@pytest.mark.parametrize(
    "action, stage, method", CASES, ids=[f"{a}-{m}-from-{s}" for a, s, m in CASES]
)
def test_every_public_sync_action_moves_as_the_table_says_or_is_refused(action, stage, method):
    user, sync, staff = _arranged(stage, method)
    step_name, call = ACTIONS[action]
    if step_name == "heartbeat":  # the first report completes an install; later ones record
        step_name = "report" if stage is SyncStage.INSTALLING else "heartbeat"
    if action == "installs.mark_installed" and method is InstallMethod.SCHEDULED:
        sync.confirmed_window_start = clock.now() + timedelta(days=1)
        commit()
    step = lifecycle.TRANSITIONS[step_name]
    audits = _count(AuditEvent)

    if stage in step.start and method in step.methods:
        call(sync, user, staff)
        db.session.refresh(sync)
        assert sync.status is (step.to or stage)
        assert step_name == "heartbeat" or _count(AuditEvent) > audits  # reports only record
    else:
        # Only self-installer syncs have a product key: for the others the agent has none.
        refusal = (
            "Unknown product key"
            if action == "agents.activate" and not sync.product_key_encrypted
            else "[Cc]annot"
        )
        with pytest.raises(PortalError, match=refusal):
            call(sync, user, staff)
        db.session.rollback()
        db.session.refresh(sync)
        assert sync.status is stage
        assert _count(AuditEvent) == audits


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
    sync_stage = next(iter(lifecycle.TRANSITIONS[operation].start))
    sync = sync_in(enrollment, "denticon", sync_stage)
    change = lifecycle.Change(reason="because")
    if operation == "submit_credentials":
        change.values = {
            "credentials_url": "https://x.example",
            "credentials_username": "a",
            "credentials_password_encrypted": "b",
        }
    if operation == "retry":
        sync = sync_in(enrollment, "dentrix", sync_stage)
    lifecycle.transition(sync, operation, actor=user, change=change)
    assert enrollment.status is enrollment_after


def test_a_live_enrollment_stays_live_while_a_second_sync_waits_for_credentials():
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, EnrollmentStatus.LIVE)
    sync = sync_in(enrollment, "denticon", SyncStage.NEEDS_CREDENTIALS)
    setup.submit_credentials(sync, url="https://x.example", username="a", password="b", actor=user)
    assert sync.status is SyncStage.INSTALLING and enrollment.status is EnrollmentStatus.LIVE


def test_a_step_that_lost_the_race_is_refused_with_what_the_winner_did_and_writes_nothing(
    app, mailbox
):
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    sync = sync_in(
        enrollment_in(user, EnrollmentStatus.INSTALLING), "denticon", SyncStage.INSTALLING
    )
    staff = _staff()
    # Another process marks it installed after this one read it (the session still says
    # installing): the claim's conditional UPDATE matches nothing.
    with db.engine.begin() as other:
        other.execute(
            Sync.__table__.update().where(Sync.id == sync.id).values(status=SyncStage.ACTIVE.value)
        )
    audits, emails = _count(AuditEvent), _count(OutboundEmail)
    outcome = installs.mark_installed([sync], actor=staff)
    assert outcome.done == []
    assert outcome.skipped == [
        (sync, "This sync is already active: cannot mark it installed again.")
    ]
    assert (_count(AuditEvent), _count(OutboundEmail)) == (audits, emails)


def test_a_confirmed_window_is_confirmed_once(mailbox):
    sync = scheduled_with_windows(upgraded("Lifecycle Apps", "lc@lifecycle.example"))
    staff = _staff()
    first = installs.confirm_windows(
        [sync], windows={sync.id: sync.proposed_windows[0]}, actor=staff
    )
    second = installs.confirm_windows(
        [sync], windows={sync.id: sync.proposed_windows[1]}, actor=staff
    )
    assert first.done == [sync] and second.done == []
    assert "already confirmed" in second.skipped[0][1]
    assert sync.confirmed_window_start == datetime.fromisoformat(sync.proposed_windows[0])
    # The status stayed Installing: the audit row names no change of it.
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sync.confirm_window"))
    assert row is not None and "before" not in row.details and "after" not in row.details
    installs.mark_failed([sync], reason="The server was unreachable.", actor=staff)
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sync.fail"))
    assert (failed.details["before"], failed.details["after"]) == ("installing", "failed")


def test_no_sync_is_installed_on_a_practice_that_has_not_granted_access():
    user = upgraded("Lifecycle Apps", "lc@lifecycle.example")
    enrollment = enrollment_in(user, EnrollmentStatus.INSTALLING)
    sync = sync_in(enrollment, "denticon", SyncStage.NEEDS_CREDENTIALS)
    enrollment.status = EnrollmentStatus.AWAITING_CONSENT
    commit()
    with pytest.raises(PortalError, match="has to grant it first"):
        setup.submit_credentials(
            sync, url="https://x.example", username="a", password="b", actor=user
        )
    assert (
        sync.status is SyncStage.NEEDS_CREDENTIALS and sync.credentials_password_encrypted is None
    )
