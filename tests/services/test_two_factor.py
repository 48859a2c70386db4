"""Two-factor sign-in: enrolment, codes accepted once, single-use recovery codes, the wrong-code
limit, resets by Owners and Admins, and the organization's requirement."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, RecoveryCode, Role, User
from portal.services import Conflict, Forbidden, RateLimited
from portal.services.accounts import two_factor, users
from tests.conftest import PASSWORD


def enrol(user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Set two-factor up as a person would; returns their app and recovery codes."""
    two_factor.begin(user)
    key, address = two_factor.pending_setup(user)
    assert address.startswith("otpauth://totp/") and key in address
    app = pyotp.TOTP(key)
    return app, two_factor.confirm(user, app.at(clock.now()))


def next_code(app: pyotp.TOTP) -> str:
    """The app's code half a minute later (a code is accepted once)."""
    with clock.travel(timedelta(seconds=30)):
        return app.at(clock.now())


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_enrolment_takes_effect_only_when_a_code_confirms_it(org_admin):
    two_factor.begin(org_admin)
    assert not two_factor.enabled(org_admin)
    with pytest.raises(two_factor.WrongCode):
        two_factor.confirm(org_admin, "000000")
    key, _ = two_factor.pending_setup(org_admin)
    codes = two_factor.confirm(org_admin, pyotp.TOTP(key).now())
    assert two_factor.enabled(org_admin) and len(codes) == 10 and len(set(codes)) == 10
    assert "two_factor.enabled" in actions()


def test_the_secret_is_stored_encrypted_and_recovery_codes_only_as_digests(org_admin):
    app, codes = enrol(org_admin)
    assert app.secret not in (org_admin.totp_secret_encrypted or "")
    stored = set(db.session.scalars(select(RecoveryCode.digest)))
    assert len(stored) == 10 and not stored & set(codes)


def test_a_code_signs_in_once(org_admin):
    app, _ = enrol(org_admin)
    code = next_code(app)
    with clock.travel(timedelta(seconds=30)):
        assert two_factor.verify(org_admin, code) == "code"
        with pytest.raises(two_factor.WrongCode):
            two_factor.verify(org_admin, code)  # the same code again


def test_a_recovery_code_signs_in_once(org_admin):
    _, codes = enrol(org_admin)
    assert two_factor.verify(org_admin, codes[0].upper()) == "recovery code"
    with pytest.raises(two_factor.WrongCode):
        two_factor.verify(org_admin, codes[0])
    assert two_factor.left(org_admin) == 9
    assert "two_factor.recovery_code_used" in actions()


def test_repeated_wrong_codes_lock_the_second_step(org_admin):
    app, _ = enrol(org_admin)
    for _ in range(two_factor.WRONG_CODES_PER_WINDOW):
        with pytest.raises(two_factor.WrongCode):
            two_factor.verify(org_admin, "123456" if app.now() != "123456" else "654321")
    with pytest.raises(RateLimited):
        two_factor.verify(org_admin, next_code(app))
    assert actions().count("two_factor.failed") == two_factor.WRONG_CODES_PER_WINDOW


def test_owners_and_admins_reset_members_and_only_an_owner_resets_an_owner(org_admin):
    org = org_admin.organization
    admin = users.add_member(org, "ad@alpha.example", "Ad", PASSWORD, Role.ADMIN)
    developer = users.add_member(org, "dev@alpha.example", "Dev", PASSWORD)
    enrol(org_admin)
    enrol(developer)
    with pytest.raises(Forbidden):
        two_factor.reset(org_admin, actor=admin)
    with pytest.raises(Forbidden):
        two_factor.reset(org_admin, actor=developer)
    version = developer.session_version
    two_factor.reset(developer, actor=admin)
    assert not two_factor.enabled(developer) and developer.session_version == version + 1
    assert two_factor.left(developer) == 0
    reset = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert reset.actor_id == admin.id and reset.target_id == str(developer.id)


def test_the_organization_setting_requires_it_of_every_member_and_is_audited(org_admin):
    developer = users.add_member(org_admin.organization, "dev@alpha.example", "Dev", PASSWORD)
    assert not two_factor.required(developer)
    with pytest.raises(Forbidden):
        two_factor.set_required(org_admin.organization, True, actor=developer)
    two_factor.set_required(org_admin.organization, True, actor=org_admin)
    assert two_factor.required(developer) and two_factor.required(org_admin)
    assert "organization.two_factor_required" in actions()
    app, _ = enrol(developer)
    with pytest.raises(Conflict, match="required"):
        two_factor.turn_off(developer, next_code(app))


def test_staff_need_it_unless_the_deployment_says_otherwise(app):
    staff = users.create_staff("olive@ops.example", PASSWORD)
    app.config["STAFF_TWO_FACTOR"] = True
    try:
        assert two_factor.required(staff)
    finally:
        app.config["STAFF_TWO_FACTOR"] = False
    assert not two_factor.required(staff)


def test_turning_it_off_takes_a_current_code(org_admin):
    app, _ = enrol(org_admin)
    with pytest.raises(two_factor.WrongCode):
        two_factor.turn_off(org_admin, "000000")
    two_factor.turn_off(org_admin, next_code(app))
    assert not two_factor.enabled(org_admin) and two_factor.left(org_admin) == 0
    assert "two_factor.disabled" in actions()
