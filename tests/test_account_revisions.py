"""Revisions 0009 to 0011 upgrade a database in use in place. 0009: each organization's
first admin becomes its Owner, the other admins Admins, everyone else a Developer; an
organization that had no admin gets its first member as Owner; pending invitations keep
what they offered. 0010 and 0011 add two-factor sign-in and issue snoozes, off and empty."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from portal.models import Role
from portal.services.accounts import invitations, users
from tests.conftest import PASSWORD, signup


def test_the_roles_revision_upgrades_a_populated_database(app):
    alice = signup("Alpha Apps", "alice@alpha.example")
    users.add_member(alice.organization, "adam@alpha.example", "Adam", PASSWORD, Role.ADMIN)
    users.add_member(alice.organization, "max@alpha.example", "Max", PASSWORD)
    invitations.invite("ian@alpha.example", role=Role.ADMIN, actor=alice)
    invitations.invite("dev@alpha.example", role=Role.DEVELOPER, actor=alice)
    bob = signup("Bravo Apps", "bob@bravo.example")
    users.add_member(bob.organization, "bea@bravo.example", "Bea", PASSWORD)
    users.create_staff("olive@ops.example", PASSWORD)
    db.session.remove()
    downgrade(revision="0008")
    try:
        with db.engine.begin() as connection:
            # What the admin flag said before; Bravo Apps had lost its only admin.
            connection.execute(
                text(
                    "UPDATE users SET is_admin = "
                    "(email IN ('alice@alpha.example', 'adam@alpha.example'))"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            roles = dict(connection.execute(text("SELECT email, role FROM users")).all())
            offered = dict(connection.execute(text("SELECT email, role FROM invitations")).all())
    finally:
        upgrade()
    assert roles == {
        "alice@alpha.example": "owner",
        "adam@alpha.example": "admin",
        "max@alpha.example": "developer",
        "bob@bravo.example": "owner",
        "bea@bravo.example": "developer",
        "olive@ops.example": "developer",
    }
    assert offered == {"ian@alpha.example": "admin", "dev@alpha.example": "developer"}


def test_the_two_factor_revision_upgrades_a_populated_database(app):
    signup("Alpha Apps", "alice@alpha.example")
    db.session.remove()
    downgrade(revision="0009")
    try:
        upgrade()
        with db.engine.connect() as connection:
            user = connection.execute(
                text("SELECT totp_enabled_at, totp_last_step FROM users")
            ).one()
            required = connection.execute(text("SELECT require_two_factor FROM organizations"))
            required = required.scalar()
    finally:
        upgrade()
    assert tuple(user) == (None, 0) and not required


def test_the_issue_snoozes_revision_upgrades_a_populated_database(app):
    signup("Alpha Apps", "alice@alpha.example")
    db.session.remove()
    downgrade(revision="0010")
    try:
        upgrade()
        with db.engine.connect() as connection:
            users_kept = connection.execute(text("SELECT count(*) FROM users")).scalar()
            snoozes = connection.execute(text("SELECT count(*) FROM issue_snoozes")).scalar()
    finally:
        upgrade()
    assert users_kept == 1 and snoozes == 0
