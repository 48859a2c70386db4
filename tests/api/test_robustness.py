"""No input reaches a 5xx or an HTML page under /api: unknown paths, wrong methods, huge
bodies, bad UTF-8, wrong types and fuzzed JSON all get a JSON envelope."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.services.records import patient_search


def _is_envelope(response) -> bool:
    body = response.get_json(silent=True)
    return (
        response.mimetype == "application/json"
        and isinstance(body, dict)
        and {"code", "description", "error", "data"} <= set(body)
    )


def test_an_unknown_path_gets_a_json_404(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404 and _is_envelope(response)


def test_a_wrong_method_gets_a_json_405(api):
    response = api.client.delete("/api/patients", headers=api._headers(None))
    assert response.status_code == 405 and _is_envelope(response)


def test_a_huge_body_gets_a_json_413(api, sandbox, app):
    huge = b"{" + b" " * app.config["MAX_CONTENT_LENGTH"] + b"}"
    for path in ("/api/patients", "/api/authenticates"):
        response = api.client.post(
            path,
            query_string=sandbox.at_location,
            data=huge,
            content_type="application/json",
            headers=api._headers(None),
        )
        assert response.status_code == 413 and _is_envelope(response), path


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\xfa not utf-8", b'{"appt": ', b"[1, 2]", b"null", b'"text"', b""],
)
def test_a_body_that_is_not_a_json_object_gets_400(api, sandbox, data):
    response = api.client.post(
        "/api/appointments",
        query_string=sandbox.at_location,
        data=data,
        content_type="application/json",
        headers=api._headers(None),
    )
    assert response.status_code == 400 and _is_envelope(response)
    assert response.get_json()["error"] == ["body must be a JSON object."]


@pytest.mark.parametrize(
    "query",
    [
        {"name": "a\x00b"},
        {"location_id": "1" * 40},
        {"location_id": "²"},
        {"per_page": "٣"},
        {"updated_since": "0001-01-01T00:00:00+14:00"},
        {"updated_since": "9999-12-31T23:59:59-10:00"},
        {"sort": "-updated_at", "start_cursor": "W10"},
    ],
)
def test_odd_query_values_get_400(api, sandbox, query):
    response = api.get("/patients", **(sandbox.at_location | query))
    assert response.status_code == 400 and _is_envelope(response)


def test_an_unexpected_error_gets_a_json_500(api, sandbox, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(patient_search, "search", broken)
    response = api.get("/patients", **sandbox.at_location)

    assert response.status_code == 500 and _is_envelope(response)
    assert "boom" not in response.get_data(as_text=True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
appointment_like = st.fixed_dictionaries(
    {},
    optional={
        "appt": st.dictionaries(
            st.sampled_from(
                ["patient_id", "provider_id", "start_time", "end_time", "operatory_id", "note"]
                + ["confirmed", "cancelled", "appointment_type_id"]
            ),
            json_values,
        )
    },
)
patient_like = st.fixed_dictionaries(
    {},
    optional={
        "provider": st.dictionaries(st.just("provider_id"), json_values),
        "patient": st.dictionaries(
            st.sampled_from(["first_name", "last_name", "email", "bio"]), json_values
        ),
        "return_existing_if_match": json_values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/patients", "/appointments", "/appointments/1"]),
    body=json_values | appointment_like | patient_like,
)
def test_fuzzed_json_bodies_never_get_a_server_error(api, sandbox, path, body):
    method = api.client.patch if path == "/appointments/1" else api.client.post
    response = method(
        f"/api{path}",
        query_string=sandbox.at_location,
        data=json.dumps(body),
        content_type="application/json",
        headers=api._headers(None),
    )
    assert response.status_code < 500
    assert _is_envelope(response)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=200))
def test_fuzzed_bytes_never_get_a_server_error(api, sandbox, data):
    response = api.client.post(
        "/api/patients",
        query_string=sandbox.at_location,
        data=data,
        content_type="application/json",
        headers=api._headers(None),
    )
    assert response.status_code == 400 and _is_envelope(response)


@pytest.mark.parametrize("written", ["2.0", "1e3", "0x10", "+5", " 5", "5 ", "5.", "1_000"])
@pytest.mark.parametrize("name", ["per_page", "location_id"])
def test_a_whole_number_written_any_other_way_gets_400_naming_it(api, sandbox, name, written):
    response = api.get("/patients", **(sandbox.at_location | {name: written}))
    assert response.status_code == 400 and _is_envelope(response)
    [error] = response.get_json()["error"]
    assert error in (
        f"{name} must be a positive integer.",
        f"{name} must be a whole number from 1 to 1000.",
    )


def test_a_list_of_whole_numbers_is_read_as_written_too(api, sandbox):
    query = {"start": "2026-01-01", "end": "2026-01-02", "provider_ids[]": ["1", "2.0"]}
    response = api.get("/appointments", **(sandbox.at_location | query))
    assert response.status_code == 400 and _is_envelope(response)
    assert response.get_json()["error"][0].startswith("provider_ids[] must be")


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/api/nonexistent", "There is no operation at /api/nonexistent; /api/openapi.json"),
        ("/api/patients/9223372036854775808", "Not found: no record has an id above 2,147,"),
        ("/api/institutions/2147483648", "Not found: no record has an id above 2,147,483,647."),
        ("/api/nowhere/99999999999999", "There is no operation at /api/nowhere/999"),
        ("/synchronizer/v1/nonexistent", "There is no operation at /synchronizer/v1/nonexis"),
        ("/api/" + "x" * 5000, "There is no operation at /api/xxx"),
    ],
)
def test_an_address_with_no_operation_or_no_possible_record_says_so(api, path, said):
    response = api.client.get(path, headers=api._headers(None))
    assert response.status_code == 404 and _is_envelope(response)
    [error] = response.get_json()["error"]
    assert error.startswith(said) and len(error) < 300
