"""A production practice run for real, for the tests that run one as a process: the
simulated practice's command line (`flask synchronizer practice`), the production API as a
developer's app calls it, and what became of a booking."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from portal.extensions import db
from portal.models import PendingWrite, WriteStatus
from portal.simulated_practice import Practice

SEED = 7
WEEKS = 2


def practice_args(base: str, state_file, *extra: str, patients: int) -> list[str]:
    """`flask synchronizer practice`'s arguments: a practice opened from SEED, its agent
    token kept in `state_file`, a cycle every half second."""
    return [
        "synchronizer",
        "practice",
        "--url",
        base,
        "--state-file",
        str(state_file),
        "--patients",
        str(patients),
        "--weeks",
        str(WEEKS),
        "--interval",
        "0.5",
        "--seed",
        str(SEED),
        *extra,
    ]


def patient_foreign_ids(patients: int) -> list[str]:
    """The ids the practice of `practice_args` gives its patients (the same seed opens the
    same practice), known before it runs."""
    return list(Practice.opened(SEED, patients=patients, weeks=WEEKS).records["patients"])


class Client:
    """The production API, signed in with a raw key, at one institution."""

    def __init__(self, base: str, raw_key: str, subdomain: str):
        self.http = httpx.Client(base_url=f"{base}/api", timeout=30)
        token = self.http.post("/authenticates", headers={"Authorization": raw_key})
        self.http.headers["Authorization"] = f"Bearer {token.json()['data']['token']}"
        self.subdomain = subdomain

    def get(self, path: str, **query):
        return self.http.get(path, params={"subdomain": self.subdomain, **query})

    def book(self, location_id: int, patient_id: int, provider_id: int, start: str) -> dict:
        body = {"appt": {"patient_id": patient_id, "provider_id": provider_id, "start_time": start}}
        query = {"subdomain": self.subdomain, "location_id": location_id}
        return self.http.post("/appointments", params=query, json=body).json()


def next_saturday(hour: int) -> str:
    """A time the practice keeps free (it is closed at weekends): nothing of its own clashes."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


def write_of(appointment_id: int) -> PendingWrite | None:
    db.session.rollback()  # see what the other processes committed
    return db.session.scalar(
        select(PendingWrite).where(PendingWrite.appointment_id == appointment_id)
    )


def settled(appointment_id: int, status: WriteStatus) -> bool:
    write = write_of(appointment_id)
    return write is not None and write.status is status
