"""Revision 0007 upgrades a database in use in place: existing patients and appointments get
the new columns' defaults, existing locations the time zone of their state."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from portal.services.dashboards import sandbox_summary
from tests.conftest import signup


def test_the_scheduling_revision_upgrades_a_populated_database(app):
    admin = signup("Alpha Apps", "alice@alpha.example")
    location_id = sandbox_summary(admin.organization).location_id
    db.session.remove()
    downgrade(revision="0006")
    try:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE locations SET tz = 'America/New_York', state = 'CA'"))
        upgrade()
        with db.engine.connect() as connection:
            tz = connection.execute(
                text("SELECT tz FROM locations WHERE id = :id"), {"id": location_id}
            ).scalar()
            kept = connection.execute(
                text("SELECT count(*) FROM appointments WHERE patient_confirmed = :no"),
                {"no": False},
            ).scalar()
            blank = connection.execute(
                text("SELECT count(*) FROM patients WHERE city = '' AND cell_phone_number = ''")
            ).scalar()
    finally:
        upgrade()
    assert tz == "America/Los_Angeles"
    assert kept == 40 and blank == 25
