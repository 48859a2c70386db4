"""Every write through the API leaves an audit row: no user, the key's organization, and the
key named by its visible ends."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiKey, AuditEvent
from tests.api.conftest import first_provider, new_patient_body
from tests.api.test_appointments import _booked


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def _key_name(sandbox) -> str:
    key = db.session.scalar(select(ApiKey).where(ApiKey.organization_id == sandbox.organization.id))
    return f"{key.prefix}\u2026{key.last_four}"


def test_creating_a_patient_writes_an_audit_row_naming_the_key(api, sandbox):
    body = new_patient_body(first_provider(sandbox.location_id))
    user = api.post("/patients", body, **sandbox.at_location).get_json()["data"]["user"]

    [event] = _events("patient.created")
    assert event.actor_id is None and event.organization_id == sandbox.organization.id
    assert event.target_type == "Patient" and event.target_id == str(user["id"])
    assert event.details["api_key"] == _key_name(sandbox)


def test_a_matched_patient_writes_no_audit_row(api, sandbox):
    body = new_patient_body(first_provider(sandbox.location_id))
    api.post("/patients", body, **sandbox.at_location)
    api.post("/patients", body | {"return_existing_if_match": True}, **sandbox.at_location)

    assert len(_events("patient.created")) == 1


def test_booking_and_updating_an_appointment_write_audit_rows(api, sandbox):
    appt_id = _booked(api, sandbox)
    where = {"subdomain": sandbox.subdomain}
    api.patch(f"/appointments/{appt_id}", {"appt": {"confirmed": True}}, **where)
    api.patch(f"/appointments/{appt_id}", {"appt": {"confirmed": True}}, **where)  # no change

    [booked] = _events("appointment.booked")
    [updated] = _events("appointment.updated")
    assert booked.target_id == updated.target_id == str(appt_id)
    assert booked.organization_id == updated.organization_id == sandbox.organization.id
    assert updated.details["changed"] == ["confirmed"]
    assert updated.details["api_key"] == _key_name(sandbox)
