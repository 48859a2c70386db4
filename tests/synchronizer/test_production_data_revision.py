"""Revision 0008 upgrades a database in use in place: existing records keep their foreign
ids, now indexed for the Synchronizer's uploads; the pending writes table starts empty."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.extensions import db
from portal.services.dashboards import sandbox_summary
from tests.conftest import signup


def test_the_production_data_revision_upgrades_a_populated_database(app):
    admin = signup("Alpha Apps", "alice@alpha.example")
    location_id = sandbox_summary(admin.organization).location_id
    db.session.remove()
    downgrade(revision="0007")
    try:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE patients SET foreign_id = 'P' || id"))
        upgrade()
        with db.engine.begin() as connection:
            kept = connection.execute(
                text(
                    "SELECT count(*) FROM patients WHERE location_id = :id AND foreign_id LIKE 'P%'"
                ),
                {"id": location_id},
            ).scalar()
            pending = connection.execute(text("SELECT count(*) FROM pending_writes")).scalar()
            indexes = {i["name"] for i in inspect(connection).get_indexes("patients")}
    finally:
        upgrade()
    assert kept == 25 and pending == 0
    assert "ix_patients_location_foreign" in indexes
