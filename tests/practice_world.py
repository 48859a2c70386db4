"""A production practice as a Synchronizer sees it: activated, live with one location, and
a small chart to upload; helpers to speak the protocol as the agent does."""

from dataclasses import dataclass
from datetime import timedelta

from portal import clock
from portal.extensions import db
from portal.models import Location, Mode
from portal.services.accounts import api_keys
from portal.services.syncs import keys, setup
from tests.onboarding import institution, upgraded

V1 = "/synchronizer/v1"


@dataclass
class Practice:
    admin: object
    sync_id: int
    token: str
    subdomain: str
    location_id: int
    raw_key: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def at_location(self) -> dict:
        return {"subdomain": self.subdomain, "location_id": self.location_id}


def live_practice(client, org="Alpha Apps", email="alice@alpha.example", where="1") -> Practice:
    """`org` live at Bright Smiles, whose Synchronizer reported office `where`."""
    user = upgraded(org, email)
    enrollment = institution(user)
    sync = setup.create_sync(enrollment, ehr="dentrix", server_name="FRONTDESK", actor=user)
    key = keys.product_key(sync)
    token = client.post(f"{V1}/activate", json={"product_key": key, "hostname": "FD"}).json["data"][
        "agent_token"
    ]
    now = clock.now().isoformat()
    beat = client.post(
        f"{V1}/heartbeat",
        json={"last_read_at": now, "last_write_at": now, "locations": [office(where)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert beat.status_code == 200, beat.json
    location = db.session.scalar(db.select(Location).where(Location.sync_id == sync.id))
    raw = api_keys.create(user.organization, Mode.PRODUCTION, actor=user).raw
    subdomain = enrollment.institution.subdomain
    return Practice(user, sync.id, token, subdomain, location.id, raw)


def office(foreign_id: str) -> dict:
    return {"foreign_id": foreign_id, "name": f"Office {foreign_id}", "state": "NY"}


def upload(client, practice: Practice, kind: str, records=(), deleted=(), location="1"):
    body = {"location_foreign_id": location, "records": list(records), "deleted": list(deleted)}
    return client.post(f"{V1}/uploads/{kind}", json=body, headers=practice.auth)


def chart(patients: int = 3, appointments: int = 2) -> dict[str, list]:
    """A small practice's records by kind, in upload order."""
    start = (clock.now() + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    return {
        "providers": [
            {"foreign_id": "D1", "first_name": "Ada", "last_name": "Molar"},
            {"foreign_id": "D2", "first_name": "Ben", "last_name": "Canine", "npi": "1234567890"},
        ],
        "operatories": [{"foreign_id": "OP1", "name": "Chair 1"}],
        "appointment_types": [{"foreign_id": "T1", "name": "Cleaning", "minutes": 60}],
        "working_hours": [
            {
                "foreign_id": "WH1",
                "provider_foreign_id": "D1",
                "operatory_foreign_id": "OP1",
                "begin_time": "08:00",
                "end_time": "17:00",
                "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            }
        ],
        "patients": [
            {
                "foreign_id": f"P{n}",
                "first_name": f"Pat{n}",
                "last_name": "Ient",
                "date_of_birth": "1980-01-0" + str(n % 9 + 1),
                "provider_foreign_id": "D1",
            }
            for n in range(1, patients + 1)
        ],
        "appointments": [
            {
                "foreign_id": f"A{n}",
                "patient_foreign_id": f"P{n}",
                "provider_foreign_id": "D1",
                "operatory_foreign_id": "OP1",
                "appointment_type_foreign_id": "T1",
                "start_time": (start + timedelta(hours=n)).isoformat(),
                "end_time": (start + timedelta(hours=n, minutes=60)).isoformat(),
            }
            for n in range(1, appointments + 1)
        ],
    }


def upload_chart(client, practice: Practice, records: dict[str, list]) -> None:
    for kind, rows in records.items():
        response = upload(client, practice, kind, rows)
        assert response.status_code == 200, (kind, response.json)
