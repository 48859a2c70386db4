"""Revision 0014 upgrades a database in use in place: each organization's go-live milestones
are filled from what its logs still hold (the earliest successful sandbox call; the first
test event an endpoint accepted), and stay empty where the logs show neither."""

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade

from portal import clock
from portal.extensions import db
from portal.models import ApiRequest, Mode, Organization
from portal.services import commit
from portal.services.webhooks import delivery_log
from tests.conftest import signup
from tests.webhook_receiver import Receiver
from tests.webhooks_world import deliver, hooked, patient_created


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def call(organization, mode: Mode, status: int, at) -> None:
    db.session.add(
        ApiRequest(
            organization_id=organization.id, mode=mode, key_prefix="abc", method="GET",
            path="/api/patients", query="", status=status, duration_ms=1.0, subdomain="",
            request_id="r", error="", created_at=at,
        )
    )  # fmt: skip


def test_the_milestones_revision_fills_them_from_the_logs(app, receiver):
    alpha = signup("Alpha Apps", "alice@alpha.example")
    bravo = signup("Bravo Apps", "bob@bravo.example")
    day, first_call = timedelta(days=1), clock.now() - timedelta(days=3)
    call(alpha.organization, Mode.PRODUCTION, 200, first_call - day)  # not a sandbox call
    call(alpha.organization, Mode.SANDBOX, 200, first_call)
    call(alpha.organization, Mode.SANDBOX, 200, first_call + day)
    call(bravo.organization, Mode.SANDBOX, 401, first_call - day)  # refused: no success
    commit()
    tested = hooked(receiver, user=alpha)
    delivery_log.send_test(tested.endpoint, by=alpha)
    deliver()
    patient_created(hooked(receiver, user=bravo))  # an ordinary event: no verification
    deliver()
    ids = {"alpha": alpha.organization_id, "bravo": bravo.organization_id}
    db.session.remove()
    downgrade(revision="0013")
    try:
        upgrade()
        db.session.remove()
        found = {
            name: (org.first_sandbox_call_at, org.webhook_verified_at)
            for name, org in ((n, db.session.get(Organization, i)) for n, i in ids.items())
        }
    finally:
        upgrade()
    assert found["bravo"] == (None, None)
    called, verified = found["alpha"]
    assert called == first_call and verified is not None
