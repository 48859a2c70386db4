"""GET /api/openapi.json: our own OpenAPI 3 document, describing exactly what we serve."""

from portal.api import VERSIONS, bp
from portal.api import openapi_schemas as schemas
from portal.services.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from portal.services.records import appointments, patients, practice_records
from portal.services.records.api_access import INT_MAX

ERRORS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}
ALWAYS = (400, 401, 413, 429, 500)


def query(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {
        "in": "query",
        "name": name,
        "required": required,
        "description": description,
        "schema": schema,
    }


def text(max_length: int = 200) -> dict:
    return {"type": "string", "maxLength": max_length}


ID = {"type": "integer", "format": "int32", "minimum": 1, "maximum": INT_MAX}
VERSION = {
    "in": "header",
    "name": "Nex-Api-Version",
    "required": False,
    "description": "The API version; when missing, the current one.",
    "schema": {"type": "string", "enum": list(VERSIONS)},
}
SUBDOMAIN = query("subdomain", text(), "The institution (403 if not yours).", required=True)
OPTIONAL_SUBDOMAIN = query("subdomain", text(), "Only this institution (403 if not yours).")
LOCATION = query("location_id", ID, "A location of the institution (404 if not).", required=True)
OPTIONAL_LOCATION = query("location_id", ID, "Only this location of the institution.")
PAGING = [
    query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        "Results per page.",
    ),
    query("start_cursor", text(500), "The rows after this cursor: the last page's end_cursor."),
    query("end_cursor", text(500), "The rows before this cursor: the page's start_cursor."),
]


def sort(choices: tuple[str, ...]) -> dict:
    schema = {"type": "string", "enum": list(choices), "default": choices[0]}
    return query("sort", schema, "Order; a leading dash means descending.")


def ids(name: str, max_items: int) -> dict:
    return {
        **query(name, {"type": "array", "items": ID, "maxItems": max_items}, f"Only these {name}"),
        "style": "form",
        "explode": True,
    }


def path_id(what: str) -> dict:
    return {"in": "path", "name": "id", "required": True, "description": what, "schema": ID}


def operation(summary, params, ok, *, codes=(), status=200, body=None, tag="Records") -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    responses = {str(s): {"description": "Success", "content": _json(ok)} for s in statuses}
    for code in sorted(set(ALWAYS) | set(codes)):
        responses[str(code)] = {"$ref": f"#/components/responses/{_error_name(code)}"}
    op = {"summary": summary, "tags": [tag], "parameters": [VERSION, *params]}
    if body:
        op["requestBody"] = {"required": True, "content": _json(schemas.ref(body))}
    return op | {"responses": responses}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _error_name(code: int) -> str:
    return ERRORS.get(code) or {413: "PayloadTooLarge", 429: "TooManyRequests"}.get(
        code, "ServerError"
    )


def _one(name: str) -> dict:
    return schemas.envelope(schemas.ref(name))


def _wrapped(key: str, name: str) -> dict:
    return schemas.envelope(schemas.obj(**{key: schemas.ref(name)}))


PATIENT_FILTERS = [
    query("name", text(), "Every word appears in the first or last name, in any case."),
    query("email", text(254), "Exact email, in any case."),
    query("phone_number", text(30), "Same digits."),
    query("date_of_birth", {"type": "string", "format": "date"}, "Born on this day."),
    query("updated_since", schemas.TIME, "Updated at or after."),
    query("inactive", schemas.BOOL, "Only inactive (true) or active (false) patients."),
]
APPOINTMENT_FILTERS = [
    query("start", schemas.TIME, "Earliest start time.", required=True),
    query("end", schemas.TIME, "Latest start time.", required=True),
    query("cancelled", schemas.BOOL, "Only cancelled (true) or not cancelled (false)."),
    ids("patient_ids[]", 25),
    ids("provider_ids[]", 100),
    ids("operatory_ids[]", 100),
    query("updated_since", schemas.TIME, "Updated at or after."),
]
AT_LOCATION = [SUBDOMAIN, LOCATION]

PATHS = {
    "/authenticates": {
        "post": operation(
            "Exchange an API key (raw, in Authorization) for a bearer token",
            [],
            _one("Token"),
            status=201,
            tag="Authentication",
        )
        | {"security": [{"api_key": []}]}
    },
    "/institutions": {
        "get": operation("Institutions you reach", [], schemas.collection("Institution"))
    },
    "/institutions/{id}": {
        "get": operation(
            "One institution", [path_id("Institution id")], _one("Institution"), codes=[404]
        )
    },
    "/locations": {
        "get": operation(
            "Institutions with their locations",
            [OPTIONAL_SUBDOMAIN, query("inactive", schemas.BOOL, "Inactive locations only.")],
            schemas.collection("InstitutionWithLocations"),
            codes=[403],
        )
    },
    "/locations/{id}": {
        "get": operation("One location", [path_id("Location id")], _one("Location"), codes=[404])
    },
    "/sync_status": {
        "get": operation(
            "Synchronizer status",
            [OPTIONAL_SUBDOMAIN],
            schemas.collection("SyncStatus"),
            codes=[403],
        )
    },
    "/patients": {
        "get": operation(
            "Patients of a location",
            [*AT_LOCATION, *PATIENT_FILTERS, sort(patients.SORTS), *PAGING],
            schemas.page("Patient"),
            codes=[403, 404],
        ),
        "post": operation(
            "Create a patient (201), or return a match (200)",
            AT_LOCATION,
            _wrapped("user", "Patient"),
            status=(200, 201),
            codes=[403, 404],
            body="PatientCreate",
        ),
    },
    "/patients/{id}": {
        "get": operation(
            "One patient", [SUBDOMAIN, path_id("Patient id")], _one("Patient"), codes=[403, 404]
        )
    },
    "/providers": {
        "get": operation(
            "Providers",
            [
                SUBDOMAIN,
                OPTIONAL_LOCATION,
                query("inactive", schemas.BOOL, "Inactive providers (default false)."),
                sort(practice_records.PROVIDER_SORTS),
                *PAGING,
            ],
            schemas.page("Provider"),
            codes=[403, 404],
        )
    },
    "/providers/{id}": {
        "get": operation(
            "One provider", [SUBDOMAIN, path_id("Provider id")], _one("Provider"), codes=[403, 404]
        )
    },
    "/operatories": {
        "get": operation(
            "Operatories of a location",
            [
                *AT_LOCATION,
                query("search_name", text(), "Name contains."),
                sort(practice_records.OPERATORY_SORTS),
                *PAGING,
            ],
            schemas.page("Operatory"),
            codes=[403, 404],
        )
    },
    "/operatories/{id}": {
        "get": operation(
            "One operatory",
            [SUBDOMAIN, path_id("Operatory id")],
            _one("Operatory"),
            codes=[403, 404],
        )
    },
    "/appointment_types": {
        "get": operation(
            "Appointment types",
            [SUBDOMAIN, OPTIONAL_LOCATION],
            schemas.collection("AppointmentType"),
            codes=[403, 404],
        )
    },
    "/appointment_types/{id}": {
        "get": operation(
            "One appointment type",
            [SUBDOMAIN, OPTIONAL_LOCATION, path_id("Appointment type id")],
            _one("AppointmentType"),
            codes=[403, 404],
        )
    },
    "/appointments": {
        "get": operation(
            "Appointments starting in a time window",
            [*AT_LOCATION, *APPOINTMENT_FILTERS, sort(appointments.SORTS), *PAGING],
            schemas.page("Appointment"),
            codes=[403, 404],
        ),
        "post": operation(
            "Book an appointment (no overlap for the provider or the operatory)",
            AT_LOCATION,
            _wrapped("appt", "Appointment"),
            status=201,
            codes=[403, 404],
            body="AppointmentCreate",
        ),
    },
    "/appointments/{id}": {
        "get": operation(
            "One appointment, with its patient",
            [SUBDOMAIN, path_id("Appointment id")],
            _one("AppointmentWithPatient"),
            codes=[403, 404],
        ),
        "patch": operation(
            "Confirm or cancel an appointment",
            [SUBDOMAIN, path_id("Appointment id")],
            _wrapped("appt", "Appointment"),
            codes=[403, 404],
            body="AppointmentUpdate",
        ),
    },
}


def _error_response(code: int) -> dict:
    response = {"description": schemas.DESCRIPTIONS[code], "content": _json(schemas.ref("Error"))}
    if code == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return response


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SyncPortal API",
            "version": VERSIONS[-1],
            "description": "Health records in the shapes of the NexHealth API. Exchange your API "
            "key at POST /authenticates, then send Authorization: Bearer <token>. Tokens last "
            "24 hours (sandbox keys) or 1 hour (production keys).",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "api_key": {"type": "apiKey", "in": "header", "name": "Authorization"},
            },
            "schemas": schemas.schemas() | {"Token": schemas.obj(token=schemas.STR)},
            "responses": {
                _error_name(code): _error_response(code) for code in (*ERRORS, 413, 429, 500)
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return document()
