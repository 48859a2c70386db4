"""GET /api/openapi.json: our OpenAPI document, generated from the declared operations
(`portal.api.operations`) and shapes (`shapes`, `inputs`, the edge's envelope)."""

import re
from functools import cache

import msgspec

from portal import edge
from portal.api import bp, inputs
from portal.api.operations import OPERATIONS, Listed, One, Operation
from portal.edge import Moment
from portal.edge.fields import Id

TITLE = "SyncPortal API"
ABOUT = (
    "Health records in the shapes of the NexHealth API. Exchange your API key at "
    "POST /authenticates, then send Authorization: Bearer <token>. Tokens last 24 hours "
    "(sandbox keys) or 1 hour (production keys)."
)
ALWAYS = (400, 401, 413, 429, 500)
REF = "#/components/schemas/{name}"


def _schema_hook(kind):
    if kind is Moment:
        return {"type": "string", "format": "date-time"}
    raise NotImplementedError(kind)


def _schemas(kinds: list) -> tuple[list[dict], dict]:
    return msgspec.json.schema_components(kinds, schema_hook=_schema_hook, ref_template=REF)


def _ref(kind) -> dict:
    return {"$ref": REF.format(name=kind.__name__)}


def _data(answer) -> tuple[dict, dict]:
    """The schema of `data` and of the envelope's other members for an answer."""
    if isinstance(answer, One):
        return _ref(answer.shape), {}
    items = {"type": "array", "items": _ref(answer.shape)}
    if isinstance(answer, Listed):
        return items, {"count": _schemas([int])[0][0]}
    return items, {"page_info": _ref(edge.PageInfo)}


def _envelope(answer, components: dict) -> dict:
    envelope = dict(components["Envelope"])
    data, extra = _data(answer)
    properties = envelope["properties"] | {"data": data} | extra
    success = {"code": {"enum": [True]}, "error": {"type": "array", "maxItems": 0}}
    return envelope | {
        "properties": properties | success,
        "required": [*envelope["required"], *extra],
    }


def _parameters(shape, where: str) -> list[dict]:
    if shape is None:
        return []
    (ref,), components = _schemas([shape])
    declared = components[shape.__name__]
    required = set(declared.get("required", ()))
    parameters = []
    for name, schema in declared.get("properties", {}).items():
        schema = _without_null(schema)
        parameter = {"in": where, "name": name, "required": name in required}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        if schema.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter | {"schema": schema})
    return parameters


def _without_null(schema: dict) -> dict:
    """A parameter's schema: null stands for an absent parameter, which is said by
    `required` instead."""
    schema = dict(schema)
    kinds = [k for k in schema.pop("anyOf", ()) if k != {"type": "null"}]
    if len(kinds) == 1:
        schema |= kinds[0]
    elif kinds:
        schema["anyOf"] = kinds
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def path_of(rule: str) -> tuple[str, list[dict]]:
    """The document's path for a route rule, and its path parameters (`<int:id>` an id,
    `<hashid>` text)."""
    found = re.findall(r"<(int:)?(\w+)>", rule)
    path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule)
    id_schema = _schemas([Id])[0][0]
    text_schema = {"type": "string", "maxLength": 100}
    return path, [
        {"in": "path", "name": n, "required": True, "schema": id_schema if i else text_schema}
        for i, n in found
    ]


def _operation(op: Operation, components: dict) -> dict:
    path_parameters = path_of(op.rule)[1]
    found = {
        "summary": op.summary,
        "operationId": op.endpoint.removeprefix("api."),
        "tags": [op.tag],
        "parameters": [
            *_parameters(inputs.Headers, "header"),
            *path_parameters,
            *_parameters(op.query, "query"),
        ],
    }
    if op.body is not None:
        content = {"application/json": {"schema": _ref(op.body)}}
        found["requestBody"] = {"required": True, "content": content}
    responses = {
        str(status): {"description": edge.description(status)}
        | (
            {"content": {"application/json": {"schema": _envelope(op.answer, components)}}}
            if op.answer is not None
            else {}
        )
        for status in op.statuses
    }
    for code in sorted(set(ALWAYS) | set(op.errors)):
        responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    if op.open:
        found["security"] = [{"api_key": []}]
    return found | {"responses": responses}


def _refusal(code: int) -> dict:
    answer = {
        "description": edge.description(code),
        "content": {"application/json": {"schema": _ref(edge.Refusal)}},
    }
    if code in (429, 503):
        retry = {"description": "Seconds to wait.", "schema": _schemas([int])[0][0]}
        answer["headers"] = {"Retry-After": retry}
    return answer


@cache
def document() -> dict:
    kinds = [edge.Envelope, edge.Refusal, edge.PageInfo]
    for op in OPERATIONS:
        kinds += ([op.answer.shape] if op.answer else []) + ([op.body] if op.body else [])
    components = _schemas(kinds)[1]
    paths: dict = {}
    for op in OPERATIONS:
        paths.setdefault(path_of(op.rule)[0], {})[op.method.lower()] = _operation(op, components)
    codes = sorted({c for op in OPERATIONS for c in (*ALWAYS, *op.errors)})
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": inputs.VERSIONS[-1], "description": ABOUT},
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "api_key": {"type": "apiKey", "in": "header", "name": "Authorization"},
            },
            "schemas": {k: v for k, v in components.items() if k != "Envelope"},
            "responses": {str(code): _refusal(code) for code in codes},
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return edge.respond(document(), 200)
