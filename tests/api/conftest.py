"""An organization with its sandbox and a sandbox API key, and a client that calls the API
with a bearer token for it."""

from dataclasses import dataclass

import pytest

from portal.extensions import db
from portal.models import Mode, Organization, User
from portal.records import Patient, Provider
from portal.services.accounts import api_keys
from portal.services.dashboards import sandbox_summary
from tests.conftest import signup


@dataclass
class Sandbox:
    admin: User
    organization: Organization
    raw_key: str
    subdomain: str
    location_id: int

    @property
    def at_location(self) -> dict:
        return {"subdomain": self.subdomain, "location_id": self.location_id}


def make_sandbox(org: str, email: str) -> Sandbox:
    admin = signup(org, email)
    key = api_keys.create(admin.organization, Mode.SANDBOX, actor=admin)
    summary = sandbox_summary(admin.organization)
    return Sandbox(admin, admin.organization, key.raw, summary.subdomain, summary.location_id)


def bearer_token(client, raw_key: str) -> str:
    response = client.post("/api/authenticates", headers={"Authorization": raw_key})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["token"]


class Api:
    """Calls /api with a bearer token, the way an integration would."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, headers=None, **query):
        return self.client.get(f"/api{path}", query_string=query, headers=self._headers(headers))

    def post(self, path: str, body=None, headers=None, **query):
        return self.client.post(
            f"/api{path}", query_string=query, json=body, headers=self._headers(headers)
        )

    def patch(self, path: str, body=None, **query):
        return self.client.patch(
            f"/api{path}", query_string=query, json=body, headers=self._headers(None)
        )


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox("Alpha Apps", "alice@alpha.example")


@pytest.fixture
def other_sandbox() -> Sandbox:
    return make_sandbox("Beta Labs", "bob@beta.example")


@pytest.fixture
def api(client, sandbox) -> Api:
    return Api(client, bearer_token(client, sandbox.raw_key))


def patients_at(location_id: int) -> int:
    return db.session.scalar(
        db.select(db.func.count(Patient.id)).where(Patient.location_id == location_id)
    )


def first_provider(location_id: int) -> int:
    return db.session.scalar(
        db.select(Provider.id).where(Provider.location_id == location_id).order_by(Provider.id)
    )


def new_patient_body(provider_id: int, **patient) -> dict:
    return {
        "provider": {"provider_id": provider_id},
        "patient": {
            "first_name": "Test",
            "last_name": "Writer",
            "email": "test.writer@example.com",
            "bio": {"date_of_birth": "1990-05-01", "phone_number": "(555) 010-2030"},
        }
        | patient,
    }
