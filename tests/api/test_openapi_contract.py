"""Schemathesis against our own /api/openapi.json: generated requests (valid and invalid),
authenticated with a sandbox token, never get a 5xx or an answer the document does not allow."""

import json

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.api import appointment_shapes, inputs, patient_shapes, shapes
from portal.api.openapi import document, path_of
from portal.api.operations import OPERATIONS
from portal.services.webhooks import targets
from tests.api.conftest import bearer_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def generous_limits(app, monkeypatch):
    # Hundreds of generated requests in a second must not all end as 429s.
    for name in ("API_RATE_LIMIT", "API_RECORDS_RATE_LIMIT", "API_AUTH_RATE_LIMIT"):
        monkeypatch.setitem(app.config, name, "100000/second")


@pytest.fixture
def no_name_resolution(monkeypatch):
    # Generated webhook target URLs name random hosts: none is looked up outside the machine.
    def unresolvable(host, port):
        raise OSError(f"{host} is not resolved in tests")

    monkeypatch.setattr(targets, "resolve", unresolvable)


# Built from the same function that serves /api/openapi.json (a test below checks they agree);
# schemathesis' lazy fixture loader does not work with this pytest.
schema = schemathesis.openapi.from_dict(
    document(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES_PER_OPERATION,
                "allow-x00": True,
                "deterministic": True,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_openapi_document_says(
    case, app, client, sandbox, generous_limits, no_name_resolution
):
    # Aim the generated requests at the sandbox so they reach past the access checks.
    if case.query and "subdomain" in case.query:
        case.query["subdomain"] = sandbox.subdomain
    if case.query and "location_id" in case.query:
        case.query["location_id"] = sandbox.location_id
    token = bearer_token(client, sandbox.raw_key)
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_the_served_document_is_the_one_tested(client):
    assert client.get("/api/openapi.json").get_json() == json.loads(json.dumps(document()))


def test_every_answer_schema_is_generated_from_its_declared_shape():
    schemas = document()["components"]["schemas"]
    for declared in (
        patient_shapes.Patient,
        appointment_shapes.Appointment,
        shapes.Location,
        inputs.PatientCreate,
    ):
        fields = msgspec.structs.fields(declared)
        assert list(schemas[declared.__name__]["properties"]) == [f.encode_name for f in fields]


def test_every_operation_documents_exactly_the_parameters_it_reads():
    paths = document()["paths"]
    for op in OPERATIONS:
        path = path_of(op.rule)[0]
        parameters = paths[path][op.method.lower()]["parameters"]
        in_query = [p["name"] for p in parameters if p["in"] == "query"]
        declared = msgspec.structs.fields(op.query) if op.query else ()
        assert in_query == [f.encode_name for f in declared], op.endpoint
