from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


def test_demo_loads_a_world_once_and_prints_its_logins(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@acme.example" in result.output and "ops@syncportal.example" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 3
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and db.session.scalar(select(func.count(User.id))) == 3
    assert "admin@acme.example" in again.output  # the logins are printed every time


def test_create_staff_makes_an_ops_user_and_refuses_duplicates(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff", "olive@ops.example", "--password", "pw-12345678"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "olive@ops.example"))
    assert user.is_staff and user.organization_id is None
    again = runner.invoke(args=["create-staff", "olive@ops.example", "--password", "x" * 12])
    assert again.exit_code == 1 and "already has an account" in again.output
