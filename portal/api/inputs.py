"""What each API operation reads: its query string and its JSON body, declared once as
Structs that both validate the request and generate the parameters of /api/openapi.json."""

from datetime import date
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from portal.edge import Moment
from portal.edge.fields import Email, Id, Phone, described, nonblank, text
from portal.services.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from portal.services.records import appointments, patient_search, practice_records
from portal.services.records.api_access import INT_MAX

VERSIONS = ("v3.0.0", "v20240412")  # two names of the one version we serve
Subdomain = text(200, "The institution (403 if not yours).")
LocationId = Annotated[int, Meta(ge=1, le=INT_MAX, description="A location of the institution.")]
PerPage = Annotated[int, Meta(ge=1, le=MAX_PER_PAGE, description="Results per page.")]
StartCursor = text(500, "Page backward: the rows before this page's start_cursor.")
EndCursor = text(500, "Page forward: the rows after the last page's end_cursor.")
Flag = bool | None
Since = described(Moment | None, "Updated at or after.")
ForeignId = text(80, "The record's id in the health record system.")


def id_list(max_items: int, what: str):
    return Annotated[list[Id], Meta(max_length=max_items, description=f"Only these {what}.")]


def sorting(choices: tuple[str, ...]):
    return Annotated[Literal[choices], Meta(description="Order; a leading dash means descending.")]


class Headers(Struct):
    version: Annotated[
        Literal[VERSIONS] | None,
        Meta(description="The API version; when missing, the current one."),
    ] = field(default=None, name="Nex-Api-Version")


class Query(Struct, kw_only=True):
    """No parameters."""


class OptionalInstitution(Query, kw_only=True):
    subdomain: text(200, "Only in this institution.") | None = None


class AtInstitution(Query, kw_only=True):
    subdomain: Subdomain


class AtLocation(AtInstitution, kw_only=True):
    location_id: LocationId


class Paged(Query, kw_only=True):
    """Cursor pagination as NexHealth's docs describe it."""

    per_page: PerPage = DEFAULT_PER_PAGE
    start_cursor: StartCursor | None = None
    end_cursor: EndCursor | None = None

    def page(self) -> dict:
        """The page asked for, as the list services take it: its size, its cursors and,
        where the list can be sorted, its order."""
        asked = {name: getattr(self, name) for name in ("per_page", "start_cursor", "end_cursor")}
        if "sort" in self.__struct_fields__:
            asked["sort"] = self.sort
        return asked


class PagedAtInstitution(Paged, kw_only=True):
    subdomain: Subdomain


class PagedAtLocation(PagedAtInstitution, kw_only=True):
    location_id: LocationId


class Institutions(Paged, kw_only=True):
    pass


class Locations(Paged, kw_only=True):
    subdomain: Subdomain | None = None
    inactive: described(Flag, "Inactive locations only.") = None
    foreign_id: text(80, "The location's id in the health record system.") | None = None


class SyncStatuses(Paged, kw_only=True):
    subdomain: Subdomain | None = None
    read_status: Literal["green", "red"] | None = None
    write_status: Literal["green", "red"] | None = None
    location_ids: id_list(100, "locations") = field(default_factory=list, name="location_ids[]")


class Patients(PagedAtLocation, kw_only=True):
    name: text(200, "Every word appears in the first or last name, in any case.") | None = None
    email: text(254, "Exact email, in any case.") | None = None
    phone_number: text(30, "Same digits.") | None = None
    date_of_birth: described(date | None, "Born on this day.") = None
    updated_since: Since = None
    inactive: described(Flag, "Only inactive (true) or active (false) patients.") = None
    foreign_id: ForeignId | None = None
    new_patient: described(Flag, "Only patients with (false) or without (true) a past visit.") = (
        None
    )
    non_patient: described(Flag, "Every record here is a patient: true lists none.") = None
    location_strict: described(Flag, "Patients belong to one location: no difference.") = None
    sort: sorting(patient_search.SORTS) = "id"


class Providers(PagedAtInstitution, kw_only=True):
    location_id: described(Id | None, "Only this location of the institution.") = None
    inactive: described(Flag, "Inactive providers (default false).") = None
    ids: id_list(100, "providers") = field(default_factory=list, name="ids[]")
    foreign_id: ForeignId | None = None
    updated_since: Since = None
    sort: sorting(practice_records.PROVIDER_SORTS) = "id"


class Operatories(PagedAtLocation, kw_only=True):
    search_name: text(200, "Name contains.") | None = None
    foreign_id: ForeignId | None = None
    updated_since: Since = None
    sort: sorting(practice_records.OPERATORY_SORTS) = "id"


class AppointmentTypes(Paged, kw_only=True):
    subdomain: Subdomain
    location_id: described(Id | None, "Only this location of the institution.") = None


class AppointmentTypeAt(AtInstitution, kw_only=True):
    location_id: described(Id | None, "Only this location of the institution.") = None


class AppointmentAt(AtInstitution, kw_only=True):
    include: Annotated[
        list[Literal[("operatory", "appointment_type", "descriptors", "patient")]],
        Meta(description="Related records to nest in the answer."),
    ] = field(default_factory=list, name="include[]")


class Appointments(PagedAtInstitution, kw_only=True):
    location_id: described(Id | None, "Only this location (else every one you reach).") = None
    start: described(Moment, "Earliest start time.")
    end: described(Moment, "Latest start time.")
    cancelled: described(Flag, "Only cancelled (true) or not cancelled (false).") = None
    unavailable: described(Flag, "Only blocked time (true) or appointments (false).") = None
    appointment_type_id: described(Id | None, "Only this appointment type.") = None
    foreign_id: ForeignId | None = None
    timezone: text(64, "Show times in this IANA time zone.") | None = None
    patient_ids: id_list(25, "patients") = field(default_factory=list, name="patient_ids[]")
    provider_ids: id_list(100, "providers") = field(default_factory=list, name="provider_ids[]")
    operatory_ids: id_list(100, "operatories") = field(default_factory=list, name="operatory_ids[]")
    updated_since: Since = None
    sort: sorting(appointments.SORTS) = "start_time"


# Bodies -----------------------------------------------------------------------------------


class NewPatientBio(Struct, kw_only=True):
    date_of_birth: date
    phone_number: Phone
    gender: Literal["Male", "Female", "Other"] | None = None
    street_address: text(200, "The street address (address_line_1 wins when both).") | None = None
    address_line_1: text(200) | None = None
    address_line_2: text(200) | None = None
    city: text(100) | None = None
    state: text(20) | None = None
    zip_code: text(10) | None = None
    cell_phone_number: Phone | None = None
    home_phone_number: Phone | None = None
    work_phone_number: Phone | None = None


class NewPatientFields(Struct):
    first_name: nonblank(100)
    last_name: nonblank(100)
    email: Email
    bio: NewPatientBio


class ProviderChoice(Struct):
    provider_id: Id


class PatientCreate(Struct, kw_only=True):
    provider: ProviderChoice
    patient: NewPatientFields
    return_existing_if_match: Annotated[
        bool,
        Meta(
            description="Return the location's patient with the same first name, last name "
            "and date of birth (200) instead of creating another (201)."
        ),
    ] = False


class NewAppointment(Struct, kw_only=True):
    patient_id: Id
    provider_id: Id
    start_time: Moment
    end_time: described(Moment | None, "Defaults to the appointment type's length, or 30 min.") = (
        None
    )
    operatory_id: Id | None = None
    appointment_type_id: Id | None = None
    note: text(appointments.NOTE_MAX_LENGTH) = ""


class AppointmentCreate(Struct):
    appt: NewAppointment


class AppointmentChange(Struct, kw_only=True):
    """Set what changes; a cancelled appointment is final."""

    start_time: described(Moment | None, "Reschedule: the new start.") = None
    end_time: described(Moment | None, "The new end; else the same length as before.") = None
    provider_id: Id | None = None
    operatory_id: Id | None = None
    note: text(appointments.NOTE_MAX_LENGTH) | None = None
    checkin_at: described(Moment | None, "When the patient checked in.") = None
    confirmed: bool | None = None
    cancelled: bool | None = None


class AppointmentUpdate(Struct):
    appt: AppointmentChange
