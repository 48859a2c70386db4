"""Production data in the consoles: the institution page shows what each sync uploaded last
and the organization's writes not yet in the practice's system; staff list the writes that
were not written across organizations and retry or cancel them after a confirmation page."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Enrollment, Mode, PendingWrite, WriteStatus
from portal.services.accounts import users
from tests.api.conftest import Api, bearer_token
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import upgraded
from tests.practice_world import V1, chart, live_practice, upload_chart
from tests.synchronizer.test_writes import book, collect, report

QUEUE = "/ops/writes/"


@pytest.fixture
def practice(client):
    practice = live_practice(client)
    upload_chart(client, practice, chart(patients=4, appointments=3))
    return practice


@pytest.fixture
def refused(client, practice):
    """A booking the practice refused, with its reason."""
    api = Api(client, bearer_token(client, practice.raw_key))
    book(api, practice)
    [write] = collect(client, practice)
    report(client, practice, {"id": write["id"], "error": "The slot was taken meanwhile."})
    return db.session.get(PendingWrite, write["id"])


def institution_page(client, practice) -> str:
    login(client, "alice@alpha.example")
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    production = Enrollment.mode == Mode.PRODUCTION
    enrollment = db.session.scalar(select(Enrollment.id).where(production))
    return client.get(f"/portal/institutions/{enrollment}/").get_data(as_text=True)


def test_the_institution_page_shows_the_last_upload_and_the_writes_not_written(
    app, practice, refused
):
    page = institution_page(app.test_client(), practice)

    assert "Last upload from the practice" in page
    assert "Appointment types" in page and "Patients" in page
    assert "Writes not yet in the practice" in page
    assert "New appointment" in page and "Failed" in page
    assert "The slot was taken meanwhile." in page


def test_another_organizations_writes_are_not_on_the_page(app, client, practice, refused):
    other = upgraded("Beta Labs", "bob@beta.example").organization_id
    db.session.execute(db.update(PendingWrite).values(organization_id=other))
    db.session.commit()
    page = institution_page(app.test_client(), practice)
    assert "The slot was taken meanwhile." not in page and "Last upload" in page


@pytest.fixture
def staff(app):
    users.create_staff("olive@ops.example", PASSWORD)
    client = app.test_client()
    login(client, "olive@ops.example")
    return client


def statuses():
    db.session.expire_all()
    return db.session.scalars(select(PendingWrite.status).order_by(PendingWrite.id)).all()


def test_staff_see_writes_not_written_and_retry_one_after_confirming(staff, client, refused):
    home = staff.get("/ops/").get_data(as_text=True)
    assert "Writes not written" in home
    listing = staff.get(f"{QUEUE}?flt0_status_in_list=failed,timed_out").get_data(as_text=True)
    assert "The slot was taken meanwhile." in listing and "Alpha Apps" in listing

    token = csrf_token(staff, QUEUE)
    chosen = staff.post(
        f"{QUEUE}action/", data={"csrf_token": token, "action": "retry", "rowid": [refused.id]}
    )
    page = staff.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "go back to the practice" in page
    assert statuses() == [WriteStatus.FAILED]  # nothing happens before confirming
    done = staff.post(chosen.headers["Location"], data={"csrf_token": token})

    assert done.status_code == 302
    assert statuses() == [WriteStatus.PENDING]
    assert (
        db.session.scalar(
            select(AuditEvent.actor_email).where(AuditEvent.action == "pending_write.retried")
        )
        == "olive@ops.example"
    )


def test_staff_cancel_says_what_stops_and_skips_a_written_one(staff, client, practice, refused):
    token = csrf_token(staff, QUEUE)
    chosen = staff.post(
        f"{QUEUE}action/", data={"csrf_token": token, "action": "cancel", "rowid": [refused.id]}
    )
    page = staff.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "never reach the practice" in page
    staff.post(chosen.headers["Location"], data={"csrf_token": token})
    assert statuses() == [WriteStatus.CANCELLED]
    assert client.post(f"{V1}/writes/collect", headers=practice.auth).json["data"]["writes"] == []

    again = staff.post(
        f"{QUEUE}action/", data={"csrf_token": token, "action": "cancel", "rowid": [refused.id]}
    )
    review = staff.get(again.headers["Location"]).get_data(as_text=True)
    assert "cancelled already" in review


def test_a_developer_cannot_reach_the_staff_list(app, practice, refused):
    developer = app.test_client()
    login(developer, "alice@alpha.example")
    assert developer.get(QUEUE).status_code in (302, 403, 404)
