"""A make-believe dental practice for the simulated Synchronizer: providers, chairs,
appointment types, working hours, hundreds of patients and weeks of appointments, which keeps
changing (new patients, bookings, cancellations) and applies the platform's writes, failing
some the way a real practice does. Plain data and a seeded random generator: no database."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

FIRST = "Ava Ben Cara Dev Eli Fay Gus Hana Ian Jo Kai Lena Milo Nia Omar Pia Quinn Rosa Sam Tia"
LAST = "Alvarez Brooks Chen Diaz Evans Fischer Garcia Hughes Ito Jensen Kim Lopez Moreau Novak"
TYPES = (("Cleaning", 60), ("Exam", 30), ("Filling", 45), ("Crown", 90), ("Emergency", 30))
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
OPENING_UTC_HOURS = range(14, 22)  # 9:00 to 17:00 in New York, where the simulated office is
# Why a practice refuses a write, as its staff would put it.
CHART_LOCKED = "The patient's chart is open and locked on another workstation."
REASONS = (
    "The provider is out of the office that day.",
    CHART_LOCKED,
    "The operatory is closed for maintenance.",
)
SLOT_TAKEN = "The slot was taken at the practice meanwhile."
KINDS = ("providers", "operatories", "appointment_types", "working_hours", "patients")
BATCH = 500


@dataclass
class Practice:
    rng: random.Random
    fail_share: float = 0.0
    locked: frozenset = frozenset()  # foreign ids of patients whose charts refuse every write
    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    changed: dict[str, set] = field(default_factory=dict)
    deleted: dict[str, set] = field(default_factory=dict)
    counter: int = 0
    tag: str = ""  # in the ids of records made after opening: unique to this run

    @classmethod
    def opened(
        cls, seed: int, *, patients=300, providers=4, operatories=5, weeks=4, fail=0.0, locked=()
    ):
        practice = cls(random.Random(seed), fail_share=fail, locked=frozenset(locked))
        for kind in (*KINDS, "appointments"):
            practice.records[kind], practice.changed[kind], practice.deleted[kind] = (
                {},
                set(),
                set(),
            )
        practice._staff(providers, operatories)
        for _ in range(patients):
            practice.new_patient()
        today = datetime.now(UTC).date()
        for day in range(-7, weeks * 7):
            practice._book_day(today + timedelta(days=day))
        # The same seed opens the same practice; what happens next must not reuse its ids.
        practice.tag = secrets.token_hex(3) + "-"
        return practice

    # What the practice has -----------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.tag}{self.counter}"

    def _put(self, kind: str, record: dict) -> dict:
        self.records[kind][record["foreign_id"]] = record
        self.changed[kind].add(record["foreign_id"])
        return record

    def _staff(self, providers: int, operatories: int) -> None:
        for _ in range(providers):
            title = self.rng.choice(FIRST.split()), self.rng.choice(LAST.split())
            record = {"foreign_id": self._id("D"), "first_name": title[0], "last_name": title[1]}
            self._put("providers", record)
        for n in range(1, operatories + 1):
            self._put("operatories", {"foreign_id": self._id("OP"), "name": f"Chair {n}"})
        for name, minutes in TYPES:
            self._put(
                "appointment_types", {"foreign_id": self._id("T"), "name": name, "minutes": minutes}
            )
        chairs = list(self.records["operatories"])
        for index, provider in enumerate(self.records["providers"]):
            hours = {
                "foreign_id": self._id("WH"),
                "provider_foreign_id": provider,
                "operatory_foreign_id": chairs[index % len(chairs)],
                "begin_time": "09:00",
                "end_time": "17:00",
                "days": WEEKDAYS,
            }
            self._put("working_hours", hours)

    def new_patient(self, details: dict | None = None) -> dict:
        details = details or {}
        born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(0, 30000))
        record = {
            "foreign_id": self._id("P"),
            "first_name": details.get("first_name") or self.rng.choice(FIRST.split()),
            "last_name": details.get("last_name") or self.rng.choice(LAST.split()),
            "email": details.get("email") or "",
            "date_of_birth": details.get("date_of_birth") or born.isoformat(),
            "provider_foreign_id": self.rng.choice(list(self.records["providers"])),
        }
        return self._put("patients", record)

    def _book_day(self, day: date) -> None:
        if day.weekday() >= 5:
            return
        for provider in self.records["providers"]:
            for hour in self.rng.sample(list(OPENING_UTC_HOURS), 4):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
                self.book(provider, start)

    def book(self, provider: str, start: datetime, patient: str | None = None) -> dict | None:
        kind_id, (name, minutes) = self.rng.choice(
            list(zip(self.records["appointment_types"], TYPES, strict=True))
        )
        end = start + timedelta(minutes=minutes)
        if self.clash(provider, None, start, end):
            return None
        record = {
            "foreign_id": self._id("A"),
            "patient_foreign_id": patient or self.rng.choice(list(self.records["patients"])),
            "provider_foreign_id": provider,
            "appointment_type_foreign_id": kind_id,
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
        }
        return self._put("appointments", record)

    def clash(self, provider, operatory, start: datetime, end: datetime, besides=None) -> bool:
        for record in self.records["appointments"].values():
            if record.get("cancelled") or record["foreign_id"] == besides:
                continue
            same = record["provider_foreign_id"] == provider or (
                operatory and record.get("operatory_foreign_id") == operatory
            )
            taken = datetime.fromisoformat(record["start_time"]) < end and start < (
                datetime.fromisoformat(record["end_time"])
            )
            if same and taken:
                return True
        return False

    # How it changes on its own --------------------------------------------------------------

    def evolve(self) -> None:
        """A few minutes of a working day: new patients, bookings, a cancellation."""
        for _ in range(self.rng.randint(0, 2)):
            self.new_patient()
        today = datetime.now(UTC).date()
        for _ in range(self.rng.randint(1, 3)):
            day = today + timedelta(days=self.rng.randint(1, 14))
            hour = self.rng.choice(list(OPENING_UTC_HOURS))
            provider = self.rng.choice(list(self.records["providers"]))
            if day.weekday() < 5:  # the office is closed at weekends
                self.book(provider, datetime(day.year, day.month, day.day, hour, tzinfo=UTC))
        upcoming = [a for a in self.records["appointments"].values() if not a.get("cancelled")]
        if upcoming and self.rng.random() < 0.5:
            gone = self.rng.choice(upcoming)
            gone["cancelled"] = True
            self.changed["appointments"].add(gone["foreign_id"])

    def batches(self) -> list[tuple[str, list[dict], list[str]]]:
        """What changed since the last upload, per kind in upload order, in batches."""
        out = []
        for kind in (*KINDS, "appointments"):
            changed = [self.records[kind][f] for f in sorted(self.changed[kind])]
            deleted = sorted(self.deleted[kind])
            for start in range(0, max(len(changed), len(deleted), 1), BATCH):
                rows, gone = changed[start : start + BATCH], deleted[start : start + BATCH]
                if rows or gone:
                    out.append((kind, rows, gone))
            self.changed[kind], self.deleted[kind] = set(), set()
        return out

    # How it takes the platform's writes ----------------------------------------------------

    def apply(self, write: dict, known: dict[int, str]) -> dict:
        """The practice's result for a collected write: the record's id here, or why it was
        refused. `known` maps the platform's patient ids to ours (patients created this
        cycle)."""
        if (write.get("patient") or {}).get("foreign_id") in self.locked:
            return {"id": write["id"], "error": CHART_LOCKED}
        if write["kind"] != "appointment_update" and self.rng.random() < self.fail_share:
            return {"id": write["id"], "error": self.rng.choice(REASONS)}
        return getattr(self, f"_{write['kind']}")(write, known)

    def _patient_create(self, write: dict, known: dict[int, str]) -> dict:
        record = self.new_patient(write["patient"])
        known[write["patient"]["id"]] = record["foreign_id"]
        return {"id": write["id"], "foreign_id": record["foreign_id"]}

    def _appointment_create(self, write: dict, known: dict[int, str]) -> dict:
        asked = write["appointment"]
        start = datetime.fromisoformat(asked["start_time"])
        end = datetime.fromisoformat(asked["end_time"])
        if self.clash(asked["provider_foreign_id"], asked["operatory_foreign_id"], start, end):
            return {"id": write["id"], "error": SLOT_TAKEN}
        patient = asked["patient_foreign_id"] or known.get(write["patient"]["id"])
        if patient is None:  # booked before the practice had the patient: created with it
            patient = self._patient_create(write, known)["foreign_id"]
        record = {
            "foreign_id": self._id("A"),
            "patient_foreign_id": patient,
            **{name: asked[name] for name in COPIED if asked.get(name) is not None},
        }
        self._put("appointments", record)
        return {"id": write["id"], "foreign_id": record["foreign_id"]}

    def _appointment_update(self, write: dict, known: dict[int, str]) -> dict:
        asked = write["appointment"]
        record = self.records["appointments"].get(asked["foreign_id"] or "")
        if record is None:
            return {"id": write["id"], "error": "The appointment is no longer in the schedule."}
        for name in write["changed"]:
            name = UPDATED.get(name, name)
            if name in asked:
                record[name] = asked[name]
        self.changed["appointments"].add(record["foreign_id"])
        return {"id": write["id"], "foreign_id": record["foreign_id"]}


COPIED = (
    "provider_foreign_id",
    "operatory_foreign_id",
    "appointment_type_foreign_id",
    "start_time",
    "end_time",
    "note",
)
UPDATED = {"provider_id": "provider_foreign_id", "operatory_id": "operatory_foreign_id"}
