"""A scheduling app's journey through the API alone: working hours, available slots, book
one, the slot is gone, reschedule, check in, cancel (and the slot comes back)."""

from datetime import UTC, date, datetime, timedelta

from tests.api.conftest import first_provider


def _next_weekday(after: date) -> date:
    day = after + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _free_day(api, sandbox) -> date:
    """A weekday in the future on which the first provider has nothing booked."""
    day = _next_weekday(date.today() + timedelta(days=30))
    while True:
        booked = api.get(
            "/appointments",
            start=f"{day}T00:00:00Z",
            end=f"{day}T23:59:59Z",
            **sandbox.at_location,
        ).get_json()["data"]
        if not booked:
            return day
        day = _next_weekday(day)


def _slots(api, sandbox, day: date, provider_id: int) -> list[dict]:
    response = api.client.get(
        "/api/available_slots",
        query_string=[
            ("subdomain", sandbox.subdomain),
            ("start_date", day.isoformat()),
            ("days", "1"),
            ("lids[]", str(sandbox.location_id)),
            ("pids[]", str(provider_id)),
            ("slot_length", "30"),
        ],
        headers=api._headers(None),
    )
    assert response.status_code == 200, response.get_json()
    [group] = response.get_json()["data"]
    assert group["lid"] == sandbox.location_id and group["pid"] == provider_id
    return group["slots"]


def test_a_booking_journey_through_the_api(api, sandbox):
    where = {"subdomain": sandbox.subdomain}
    provider_id = first_provider(sandbox.location_id)

    hours = api.get("/working_hours", provider_id=provider_id, **sandbox.at_location).get_json()
    [hour] = hours["data"]
    assert hour["days"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert (hour["begin_time"], hour["end_time"]) == ("08:00", "17:00")

    day = _free_day(api, sandbox)
    slots = _slots(api, sandbox, day, provider_id)
    assert len(slots) == 18  # 08:00 to 17:00 in 30-minute slots
    first, later = slots[0], slots[5]
    assert first["time"].startswith(f"{day}T08:00:00.000-0")  # Chicago time
    assert first["operatory_id"] == hour["operatory_id"]

    booked = api.post(
        "/appointments",
        {
            "appt": {
                "patient_id": api.get("/patients", per_page=1, **sandbox.at_location).get_json()[
                    "data"
                ][0]["id"],
                "provider_id": provider_id,
                "operatory_id": first["operatory_id"],
                "start_time": first["time"],
                "end_time": first["end_time"],
            }
        },
        **sandbox.at_location,
    )
    assert booked.status_code == 201, booked.get_json()
    appt = booked.get_json()["data"]["appt"]
    assert first["time"] not in [s["time"] for s in _slots(api, sandbox, day, provider_id)]

    moved = api.patch(
        f"/appointments/{appt['id']}", {"appt": {"start_time": later["time"]}}, **where
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["data"]["appt"]["end_time"] == _utc(later["end_time"])
    times = [s["time"] for s in _slots(api, sandbox, day, provider_id)]
    assert first["time"] in times and later["time"] not in times

    checked = api.patch(
        f"/appointments/{appt['id']}", {"appt": {"checkin_at": later["time"]}}, **where
    )
    assert checked.get_json()["data"]["appt"]["checkin_at"] == _utc(later["time"])

    cancelled = api.patch(f"/appointments/{appt['id']}", {"appt": {"cancelled": True}}, **where)
    body = cancelled.get_json()["data"]["appt"]
    assert body["cancelled"] is True and body["cancelled_at"] is not None
    assert later["time"] in [s["time"] for s in _slots(api, sandbox, day, provider_id)]


def _utc(local: str) -> str:
    moment = datetime.fromisoformat(local).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
