from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


def test_demo_loads_a_world_once_and_prints_its_logins(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@acme.example" in result.output and "ops@syncportal.example" in result.output
    people = db.session.scalar(select(func.count(User.id)))
    assert people >= 3
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and db.session.scalar(select(func.count(User.id))) == people
    assert "admin@acme.example" in again.output  # the logins are printed every time


def test_demo_prints_a_working_sandbox_key_and_can_rotate_it(app):
    from portal.services.accounts import api_keys

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"]).output
    key = first.split("Sandbox API key (shown once): ")[1].split()[0]
    assert api_keys.find_usable(key) is not None
    assert f'-H "Authorization: {key}"' in first and "/api/authenticates" in first
    second = runner.invoke(args=["demo", "--new-key"]).output
    new_key = second.split("Sandbox API key (shown once): ")[1].split()[0]
    assert new_key != key
    assert api_keys.find_usable(key) is None and api_keys.find_usable(new_key) is not None


def test_create_staff_makes_an_ops_user_and_refuses_duplicates(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff", "olive@ops.example", "--password", "pw-12345678"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "olive@ops.example"))
    assert user.is_staff and user.organization_id is None
    again = runner.invoke(args=["create-staff", "olive@ops.example", "--password", "x" * 12])
    assert again.exit_code == 1 and "already has an account" in again.output
