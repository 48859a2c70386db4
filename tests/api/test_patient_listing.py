"""The patient list's fast path: its statements are built once per combination of filters
with the values bound, and its dates and times are formatted by the database. Listed
patients must read exactly as the same patients shown one by one, on either database."""

from datetime import UTC, date, datetime, timedelta

from portal.extensions import db
from portal.records import Patient
from portal.services.records import patient_search


def _patients(location_id: int) -> list[Patient]:
    return db.session.scalars(
        db.select(Patient).where(Patient.location_id == location_id).order_by(Patient.id)
    ).all()


def test_a_listed_patient_reads_exactly_as_the_patient_shown_alone(api, sandbox):
    patients = _patients(sandbox.location_id)
    # Times whose milliseconds are cut, not rounded; a midnight; a day of birth in January.
    patients[0].created_at = datetime(2024, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    patients[0].updated_at = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
    patients[0].date_of_birth = date(1990, 1, 2)
    patients[1].created_at = datetime(2025, 6, 30, 12, 5, 7, 120_500, tzinfo=UTC)
    db.session.commit()

    listed = api.get("/patients", per_page=1000, **sandbox.at_location).get_json()["data"]

    assert listed[0]["created_at"] == "2024-12-31T23:59:59.999Z"
    assert listed[0]["updated_at"] == "2025-01-01T00:00:00.000Z"
    assert listed[0]["bio"]["date_of_birth"] == "1990-01-02"
    assert listed[1]["created_at"] == "2025-06-30T12:05:07.120Z"
    for patient in listed:
        shown = api.get(f"/patients/{patient['id']}", subdomain=sandbox.subdomain).get_json()
        assert patient == shown["data"]


def test_the_updated_at_sort_pages_by_the_exact_time_not_the_printed_one(api, sandbox):
    # Two patients updated within the same millisecond: the printed times are equal, the
    # stored ones are not, and paging one at a time must still give each exactly once.
    patients = _patients(sandbox.location_id)
    moment = datetime(2025, 3, 1, 8, 0, 0, 500_100, tzinfo=UTC)
    for offset, patient in enumerate(patients):
        patient.updated_at = moment + timedelta(microseconds=offset * 100)
    db.session.commit()

    seen, cursor = [], None
    while True:
        query = {"end_cursor": cursor} if cursor else {}
        body = api.get(
            "/patients", sort="updated_at", per_page=1, **sandbox.at_location, **query
        ).get_json()
        seen += [p["id"] for p in body["data"]]
        if not body["page_info"]["has_next_page"]:
            break
        cursor = body["page_info"]["end_cursor"]

    assert seen == [p.id for p in patients]


def test_wildcards_in_a_searched_name_are_literal_characters(api, sandbox):
    patients = _patients(sandbox.location_id)
    patients[0].first_name = "Jo_hn%"
    patients[1].first_name = "Johnny"  # matched by "o_h" if "_" were a wildcard
    db.session.commit()

    for word in ("o_h", "%", "n%"):  # as wildcards, each would match "Johnny" too
        body = api.get("/patients", name=word, per_page=1000, **sandbox.at_location).get_json()
        assert [p["id"] for p in body["data"]] == [patients[0].id], word


def test_the_same_filters_with_other_values_reuse_the_built_statement(api, sandbox):
    patients = _patients(sandbox.location_id)
    api.get("/patients", name="a", inactive="false", **sandbox.at_location)
    built = patient_search._statement.cache_info().misses

    for patient in patients[:3]:
        body = api.get(
            "/patients", name=patient.last_name, inactive="false", **sandbox.at_location
        ).get_json()
        assert patient.id in [p["id"] for p in body["data"]]

    assert patient_search._statement.cache_info().misses == built
