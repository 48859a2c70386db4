"""The simulated practice: a realistic office that keeps changing and takes the platform's
writes as a practice does, refusing a booking whose time it gave away meanwhile."""

from datetime import UTC, datetime, timedelta

from portal.simulated_practice import CHART_LOCKED, REASONS, SLOT_TAKEN, Practice


def opened(**size) -> Practice:
    return Practice.opened(3, **({"patients": 200, "weeks": 2} | size))


def booking(practice: Practice, start: datetime, patient=None, write_id=1) -> dict:
    provider = next(iter(practice.records["providers"]))
    return {
        "id": write_id,
        "kind": "appointment_create",
        "changed": [],
        "patient": patient or {"id": 10, "foreign_id": "P1", "first_name": "A", "last_name": "B"},
        "appointment": {
            "foreign_id": None,
            "patient_foreign_id": (patient or {}).get("foreign_id", "P1"),
            "provider_foreign_id": provider,
            "operatory_foreign_id": None,
            "appointment_type_foreign_id": None,
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(minutes=30)).isoformat(),
            "note": "",
        },
    }


def saturday() -> datetime:
    day = datetime.now(UTC) + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day.replace(hour=15, minute=0, second=0, microsecond=0)


def test_the_same_seed_opens_the_same_busy_practice():
    first, second = opened(), opened()
    assert first.records == second.records
    assert len(first.records["patients"]) == 200
    assert len(first.records["appointments"]) > 100
    kinds = [kind for kind, _, _ in first.batches()]
    assert kinds[0] == "providers" and kinds[-1] == "appointments"
    assert first.batches() == []  # everything was handed out once


def test_it_keeps_changing_between_cycles():
    practice = opened()
    practice.batches()
    for _ in range(10):
        practice.evolve()
    changed = {kind: len(rows) for kind, rows, _ in practice.batches()}
    assert changed.get("appointments", 0) > 0


def test_a_booking_is_written_then_the_same_time_is_refused_as_taken():
    practice, start = opened(), saturday()
    written = practice.apply(booking(practice, start), {})
    refused = practice.apply(booking(practice, start, write_id=2), {})

    assert (
        practice.records["appointments"][written["foreign_id"]]["start_time"] == start.isoformat()
    )
    assert refused == {"id": 2, "error": SLOT_TAKEN}


def test_a_practice_that_refuses_every_write_gives_a_reason_and_changes_nothing():
    practice = opened(fail=1.0)
    practice.batches()
    result = practice.apply(booking(practice, saturday()), {})
    assert result["error"] in REASONS and practice.batches() == []


def test_a_booking_for_a_patient_the_practice_lacks_creates_the_patient_too():
    practice = opened()
    newcomer = {"id": 77, "foreign_id": None, "first_name": "Nia", "last_name": "Novak"}
    result = practice.apply(booking(practice, saturday(), patient=newcomer), {})
    appointment = practice.records["appointments"][result["foreign_id"]]
    patient = practice.records["patients"][appointment["patient_foreign_id"]]
    assert (patient["first_name"], patient["last_name"]) == ("Nia", "Novak")


def test_a_locked_chart_refuses_every_write_for_its_patient_and_only_for_it():
    practice = opened()
    locked, free = list(practice.records["patients"])[:2]
    practice = opened(locked=[locked])
    practice.batches()
    refused = practice.apply(booking(practice, saturday(), patient=_patient(locked)), {})
    written = practice.apply(booking(practice, saturday(), patient=_patient(free), write_id=2), {})
    assert refused == {"id": 1, "error": CHART_LOCKED}
    assert written["foreign_id"] in practice.records["appointments"]


def _patient(foreign_id: str) -> dict:
    return {"id": 10, "foreign_id": foreign_id, "first_name": "A", "last_name": "B"}
