"""Who reaches what: a sandbox key its organization's sandbox, a production key the live
enrollments' granted locations; everything else is 403 (institution) or 404, with no data."""

import json

import pytest

from portal import clock
from portal.extensions import db
from portal.models import (
    Enrollment,
    EnrollmentStatus,
    GrantStatus,
    Institution,
    Location,
    LocationGrant,
    Mode,
)
from portal.records import Patient
from portal.services.accounts import api_keys
from tests.api.conftest import Api, bearer_token, first_provider, new_patient_body, patients_at


def _leaks(response, sandbox) -> bool:
    text = json.dumps(response.get_json())
    return sandbox.subdomain in text or "Beta Labs" in text


@pytest.mark.parametrize(
    "path",
    ["/patients", "/operatories", "/appointments", "/providers", "/appointment_types"],
)
def test_another_organizations_subdomain_gets_403_with_no_data(api, other_sandbox, path):
    response = api.get(path, start="2000-01-01", end="2100-01-01", **other_sandbox.at_location)

    assert response.status_code == 403
    assert response.get_json() == {
        "code": False,
        "description": None,
        "error": ["You do not have access to this institution."],
        "data": None,
    }


def test_an_unknown_subdomain_gets_the_same_403(api):
    response = api.get("/patients", subdomain="no-such-practice", location_id=1)
    assert response.status_code == 403
    assert response.get_json()["data"] is None


def test_a_location_outside_the_institution_gets_404(api, sandbox, other_sandbox):
    response = api.get(
        "/patients", subdomain=sandbox.subdomain, location_id=other_sandbox.location_id
    )
    assert response.status_code == 404
    assert response.get_json()["data"] is None


def test_lists_of_institutions_and_locations_hold_only_the_callers(api, sandbox, other_sandbox):
    institutions = api.get("/institutions").get_json()
    locations = api.get("/locations").get_json()

    assert [i["subdomain"] for i in institutions["data"]] == [sandbox.subdomain]
    assert [i["subdomain"] for i in locations["data"]] == [sandbox.subdomain]
    assert "Beta Labs" not in json.dumps([institutions, locations])


def test_records_of_another_organization_are_not_found_by_id(api, sandbox, other_sandbox):
    other_patient = db.session.scalar(
        db.select(Patient).where(Patient.location_id == other_sandbox.location_id)
    )
    other_institution = db.session.get(Location, other_sandbox.location_id).institution_id

    for path in (
        f"/patients/{other_patient.id}",
        f"/institutions/{other_institution}",
        f"/locations/{other_sandbox.location_id}",
    ):
        response = api.get(path, subdomain=sandbox.subdomain)
        assert response.status_code == 404, path
        assert response.get_json()["data"] is None
        assert other_patient.last_name not in response.get_data(as_text=True)
    response = api.get(f"/patients/{other_patient.id}", subdomain=other_sandbox.subdomain)
    assert response.status_code == 403 and not _leaks(response, other_sandbox)


def test_sandbox_writes_change_only_the_callers_sandbox(api, sandbox, other_sandbox):
    before = patients_at(other_sandbox.location_id)
    body = new_patient_body(first_provider(sandbox.location_id))

    refused = api.post("/patients", body, **other_sandbox.at_location)
    created = api.post("/patients", body, **sandbox.at_location)

    assert refused.status_code == 403
    assert created.status_code == 201
    assert patients_at(other_sandbox.location_id) == before


def _production_world(sandbox, *, status=EnrollmentStatus.LIVE):
    """A production institution with two locations; only the first has an active grant."""
    sandbox.organization.production_enabled = True
    institution = Institution(name="Real Dental", subdomain="real-dental", mode=Mode.PRODUCTION)
    granted = Location(institution=institution, foreign_id="1", name="Granted office")
    requested = Location(institution=institution, foreign_id="2", name="Requested office")
    enrollment = Enrollment(
        organization=sandbox.organization,
        institution=institution,
        mode=Mode.PRODUCTION,
        status=status,
    )
    db.session.add_all([institution, granted, requested, enrollment])
    db.session.add_all(
        [
            LocationGrant(
                enrollment=enrollment,
                location=granted,
                status=GrantStatus.ACTIVE,
                activated_at=clock.now(),
            ),
            LocationGrant(enrollment=enrollment, location=requested, status=GrantStatus.REQUESTED),
        ]
    )
    db.session.commit()
    key = api_keys.create(sandbox.organization, Mode.PRODUCTION, actor=sandbox.admin)
    return key.raw, granted.id, requested.id


def test_a_production_key_reaches_only_live_enrollments_and_active_grants(client, sandbox):
    raw, granted_id, requested_id = _production_world(sandbox)
    production = Api(client, bearer_token(client, raw))

    institutions = production.get("/institutions").get_json()["data"]
    assert [i["subdomain"] for i in institutions] == ["real-dental"]
    assert [loc["id"] for loc in institutions[0]["locations"]] == [granted_id]
    assert (
        production.get("/operatories", subdomain="real-dental", location_id=granted_id).status_code
        == 200
    )
    assert (
        production.get(
            "/operatories", subdomain="real-dental", location_id=requested_id
        ).status_code
        == 404
    )
    assert production.get(f"/locations/{requested_id}").status_code == 404
    # Production keys never reach the sandbox, nor sandbox keys production.
    assert production.get("/patients", **sandbox.at_location).status_code == 403
    sandbox_api = Api(client, bearer_token(client, sandbox.raw_key))
    assert (
        sandbox_api.get("/operatories", subdomain="real-dental", location_id=granted_id).status_code
        == 403
    )


def test_a_production_key_does_not_reach_an_enrollment_that_is_not_live(client, sandbox):
    raw, granted_id, _ = _production_world(sandbox, status=EnrollmentStatus.INSTALLING)
    production = Api(client, bearer_token(client, raw))

    assert production.get("/institutions").get_json()["data"] == []
    response = production.get("/operatories", subdomain="real-dental", location_id=granted_id)
    assert response.status_code == 403
