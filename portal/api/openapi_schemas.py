"""The schemas of our OpenAPI document: entities, envelopes and request bodies, written to
match `portal.api.shapes` field for field."""

from portal.api.envelope import DESCRIPTIONS
from portal.services.records.api_access import INT_MAX

STR = {"type": "string"}
N_STR = {"type": "string", "nullable": True}
INT = {"type": "integer", "format": "int32"}
N_INT = {"type": "integer", "format": "int32", "nullable": True}
ID = {"type": "integer", "format": "int32", "minimum": 1, "maximum": INT_MAX}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
N_TIME = {"type": "string", "format": "date-time", "nullable": True}
DAY = {"type": "string", "format": "date"}


def obj(**properties) -> dict:
    """An object whose every listed property is always present."""
    return {"type": "object", "required": list(properties), "properties": properties}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict, **limits) -> dict:
    return {"type": "array", "items": items, **limits}


LOCATION_BASIC = dict(
    id=INT,
    name=STR,
    street_address=STR,
    street_address_2=STR,
    city=STR,
    state=STR,
    zip_code=STR,
    phone_number=STR,
    email=N_STR,
    inactive=BOOL,
)
PERSON = dict(
    id=INT,
    email=N_STR,
    first_name=STR,
    middle_name=N_STR,
    last_name=STR,
    name=STR,
    created_at=TIME,
    updated_at=TIME,
    institution_id=INT,
    foreign_id=N_STR,
    foreign_id_type=STR,
    inactive=BOOL,
    last_sync_time=N_TIME,
)
APPOINTMENT = dict(
    id=INT,
    patient_id=INT,
    provider_id=INT,
    provider_name=STR,
    start_time=TIME,
    end_time=TIME,
    confirmed=BOOL,
    cancelled=BOOL,
    patient_missed=BOOL,
    created_at=TIME,
    updated_at=TIME,
    note=STR,
    unavailable=BOOL,
    timezone=STR,
    timezone_offset={"type": "string", "pattern": "^[+-][0-9]{2}:[0-9]{2}$"},
    institution_id=INT,
    appointment_type_id=N_INT,
    location_id=INT,
    operatory_id=N_INT,
    foreign_id=N_STR,
    foreign_id_type=STR,
    last_sync_time=N_TIME,
)

ENTITIES = {
    "LocationBasic": obj(**LOCATION_BASIC),
    "Location": obj(
        **LOCATION_BASIC,
        institution_id=INT,
        country_code=STR,
        created_at=TIME,
        updated_at=TIME,
        foreign_id=STR,
        foreign_id_type=STR,
        tz=STR,
        last_sync_time=N_TIME,
    ),
    "Institution": obj(
        id=INT,
        name=STR,
        subdomain=STR,
        phone_number=STR,
        created_at=TIME,
        updated_at=TIME,
        emrs=array(STR),
        country_code=STR,
        appointment_types_location_scoped=BOOL,
        locations=array(ref("LocationBasic")),
    ),
    "InstitutionWithLocations": obj(
        id=INT, name=STR, subdomain=STR, locations=array(ref("Location"))
    ),
    "SyncStatus": obj(
        institution_id=INT,
        sync_source_type={"type": "string", "enum": ["cloud", "onprem"]},
        sync_source_name=STR,
        emr=obj(
            id=INT, name=STR, display_name=STR, type={"type": "string", "enum": ["cloud", "onprem"]}
        ),
        read_status={"type": "string", "enum": ["green", "red"]},
        read_status_at=N_TIME,
        write_status={"type": "string", "enum": ["green", "red"]},
        write_status_at=N_TIME,
        locations=array(ref("LocationBasic")),
    ),
    "Patient": obj(
        **PERSON,
        bio=obj(
            date_of_birth={"type": "string", "format": "date", "nullable": True},
            phone_number=STR,
            gender=STR,
        ),
        provider_id=N_INT,
        location_ids=array(INT),
    ),
    "Provider": obj(
        **PERSON,
        bio={"type": "object"},
        display_name=STR,
        npi=N_STR,
        specialty_code=N_STR,
        locations=array(ref("Location")),
    ),
    "Operatory": obj(
        id=INT,
        name=STR,
        foreign_id=STR,
        foreign_id_type=STR,
        location_id=INT,
        last_sync_time=N_TIME,
        created_at=TIME,
        updated_at=TIME,
        display_name=STR,
        active=BOOL,
        bookable_online=BOOL,
    ),
    "AppointmentType": obj(
        id=INT,
        name=STR,
        parent_type={"type": "string", "enum": ["Location"]},
        parent_id=INT,
        minutes=INT,
        bookable_online=BOOL,
    ),
    "Appointment": obj(**APPOINTMENT),
    "AppointmentWithPatient": obj(**APPOINTMENT, patient=ref("Patient")),
    "PageInfo": obj(
        has_previous_page=BOOL, has_next_page=BOOL, start_cursor=N_STR, end_cursor=N_STR
    ),
    "Error": obj(
        code={"type": "boolean", "enum": [False]},
        description={"type": "string", "enum": sorted(set(DESCRIPTIONS.values()))},
        error=array(STR, minItems=1),
        data={"type": "object", "nullable": True, "maxProperties": 0},
    ),
}


def fields(required: list[str], **properties) -> dict:
    """A request object: `required` must be sent, the other properties may be."""
    shape = {"type": "object", "properties": properties}
    return shape | {"required": required} if required else shape


NAME = {"type": "string", "minLength": 1, "maxLength": 100}
BODIES = {
    "PatientCreate": fields(
        ["provider", "patient"],
        provider=fields(["provider_id"], provider_id=ID),
        patient=fields(
            ["first_name", "last_name", "email", "bio"],
            first_name=NAME,
            last_name=NAME,
            email={"type": "string", "format": "email", "maxLength": 254},
            bio=fields(
                ["date_of_birth", "phone_number"],
                date_of_birth=DAY,
                phone_number={"type": "string", "maxLength": 30, "example": "5163042196"},
                gender={"type": "string", "enum": ["Male", "Female", "Other"]},
            ),
        ),
        return_existing_if_match={
            **BOOL,
            "description": "Return the location's patient with the same first name, last name "
            "and date of birth (200) instead of creating another (201).",
        },
    ),
    "AppointmentCreate": fields(
        ["appt"],
        appt=fields(
            ["patient_id", "provider_id", "start_time"],
            patient_id=ID,
            provider_id=ID,
            start_time=TIME,
            end_time={
                **TIME,
                "description": "Defaults to the appointment type's length, or 30 min.",
            },
            operatory_id=ID,
            appointment_type_id=ID,
            note={"type": "string", "maxLength": 128},
        ),
    ),
    "AppointmentUpdate": fields(
        ["appt"],
        appt={
            **fields([], confirmed=BOOL, cancelled=BOOL),
            "description": "Set confirmed, cancelled or both; a cancelled appointment is final.",
        },
    ),
}


def envelope(data: dict, **extra) -> dict:
    return obj(
        code={"type": "boolean", "enum": [True]},
        description=STR,
        error=array(STR, maxItems=0),
        data=data,
        **extra,
    )


def collection(item: str) -> dict:
    return envelope(array(ref(item)), count=INT)


def page(item: str) -> dict:
    return envelope(array(ref(item)), page_info=ref("PageInfo"))


def schemas() -> dict:
    return ENTITIES | BODIES
