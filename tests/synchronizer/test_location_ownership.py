"""A Synchronizer reports only the locations of its own database: a location that another
sync of the practice reports is refused, and nothing changes."""

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, Location
from portal.services import commit
from portal.services.onboarding import consent
from portal.services.syncs import keys, setup
from tests.onboarding import live_practice, upgraded

V1 = "/synchronizer/v1"


def _granted_sync(mailbox):
    """Bravo, let in by Alpha's live practice, installs a Synchronizer of its own there."""
    practice = live_practice()
    for location in practice.locations:
        location.sync_id = practice.syncs[0].id
    commit()
    bravo = upgraded("Bravo Apps", "b@bravo.example")
    enrollment = consent.request_access(practice, actor=bravo)
    link = mailbox.bodies_to("desk@shared.example")[-1].split("/practice/requests/")[1].split()[0]
    consent.decide_by_link(link, grant=True)
    sync = setup.create_sync(enrollment, ehr="eaglesoft", server_name="BRAVO", actor=bravo)
    return practice, sync


def _beat(client, token, locations):
    now = clock.now().isoformat()
    return client.post(
        f"{V1}/heartbeat",
        json={"last_read_at": now, "last_write_at": now, "locations": locations},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_heartbeat_cannot_take_over_a_location_of_another_sync(client, mailbox):
    practice, sync = _granted_sync(mailbox)
    activated = client.post(
        f"{V1}/activate", json={"product_key": keys.product_key(sync), "hostname": "B"}
    )
    token = activated.json["data"]["agent_token"]
    # The trail of changes: the refusal adds its denial row and nothing else.
    changes = select(func.count(AuditEvent.id)).where(AuditEvent.action.not_like("denied.%"))
    audits = db.session.scalar(changes)

    stolen = _beat(client, token, [{"foreign_id": "1", "name": "Renamed by Bravo"}])
    assert stolen.status_code == 409
    assert "reported by another Synchronizer" in stolen.json["error"][0]
    db.session.expire_all()
    office = db.session.scalar(
        select(Location).where(Location.institution_id == practice.id, Location.foreign_id == "1")
    )
    assert (office.name, office.sync_id) == ("Office 1", practice.syncs[0].id)
    assert db.session.scalar(changes) == audits

    own = _beat(client, token, [{"foreign_id": "B-1", "name": "Bravo's own office"}])
    assert own.status_code == 200
    added = db.session.scalar(select(Location).where(Location.foreign_id == "B-1"))
    assert added.sync_id == sync.id
