"""What the scheduling operations read (working hours, labels, available slots, appointment
type writes, descriptors, recalls), declared once like `inputs`."""

from datetime import date
from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from portal.api.inputs import (
    AtInstitution,
    ForeignId,
    PagedAtInstitution,
    PagedAtLocation,
    Query,
    Since,
    described,
    id_list,
)
from portal.edge.fields import Id, nonblank, text
from portal.services.records import recalls
from portal.services.records.working_hours import DAYS, UNITS

Minutes = Annotated[int, Meta(ge=5, le=480, description="Minutes.")]
Source = Literal["manual", "synced"]


class WorkingHours(PagedAtLocation, kw_only=True):
    provider_id: described(Id | None, "Only this provider's.") = None
    operatory_id: described(Id | None, "Only this operatory's.") = None
    label_id: described(Id | None, "Only those with this label.") = None
    source: Source | None = None
    active: described(bool, "Active (default) or inactive ones.") = True
    ignore_past_dates: described(bool, "Leave out those of a specific date now past.") = False
    include: Annotated[
        list[Literal["appointment_types"]], Meta(description="Always included here.")
    ] = field(default_factory=list, name="include[]")


class WorkingHourAt(AtInstitution, kw_only=True):
    include: Annotated[
        list[Literal["appointment_types"]], Meta(description="Always included here.")
    ] = field(default_factory=list, name="include[]")


class Recurrence(Struct):
    num: Annotated[int, Meta(ge=1, le=365)]
    ref: date
    unit: Literal[UNITS]


class WorkingHourFields(Struct, kw_only=True):
    """Times are HH:MM in the location's time zone; give exactly one of days, specific_date
    or custom_recurrence when creating."""

    provider_id: Id | None = None
    begin_time: text(5, "HH:MM") | None = None
    end_time: text(5, "HH:MM") | None = None
    operatory_id: Id | None = None
    appointment_type_ids: id_list(50, "appointment types") | None = None
    days: Annotated[list[Literal[DAYS]], Meta(max_length=7)] | None = None
    specific_date: date | None = None
    custom_recurrence: Recurrence | None = None
    active: bool | None = None


class WorkingHourBody(Struct):
    working_hour: WorkingHourFields


class WorkingHourLabels(PagedAtInstitution, kw_only=True):
    location_id: described(Id | None, "Only this location of the institution.") = None
    search_name: text(200, "Name contains.") | None = None
    active: bool | None = None


class AvailableSlots(AtInstitution, kw_only=True):
    start_date: described(date, "The first day, in the locations' time zones.")
    days: Annotated[int, Meta(ge=1, le=31, description="How many days from start_date.")]
    lids: Annotated[
        list[Id], Meta(min_length=1, max_length=20, description="Locations to search.")
    ] = field(name="lids[]")
    pids: id_list(100, "providers") = field(default_factory=list, name="pids[]")
    operatory_ids: id_list(100, "operatories") = field(default_factory=list, name="operatory_ids[]")
    appointment_type_id: described(Id | None, "Slots of this type's length and hours.") = None
    working_hour_label_id: Id | None = None
    working_hour_source: Source | None = None
    slot_length: Minutes | None = None
    slot_interval: Minutes | None = None
    overlapping_operatory_slots: described(bool, "List a time once per operatory.") = False
    appointments_per_timeslot: Annotated[int, Meta(ge=1, le=1)] = 1


class AppointmentTypeFields(Struct, kw_only=True):
    name: nonblank(100) | None = None
    minutes: Minutes | None = None
    parent_type: Literal["Location"] | None = None
    parent_id: Id | None = None
    bookable_online: bool | None = None
    emr_appt_descriptor_ids: id_list(50, "descriptors") | None = None


class AppointmentTypeBody(Struct, kw_only=True):
    location_id: described(Id | None, "The type's location (or give parent_id).") = None
    appointment_type: AppointmentTypeFields


class AppointmentTypeDelete(AtInstitution, kw_only=True):
    location_id: described(Id | None, "Only at this location of the institution.") = None


class Descriptors(AtInstitution, kw_only=True):
    location_id: described(Id | None, "Only at this location of the institution.") = None
    descriptor_type: text(40, "Only descriptors of this type.") | None = None


class AppointmentDescriptors(AtInstitution, kw_only=True):
    descriptor_type: text(40, "Only descriptors of this type.") | None = None


class LocationDescriptors(Query, kw_only=True):
    descriptor_type: text(40, "Only descriptors of this type.") | None = None


class RecallTypes(PagedAtLocation, kw_only=True):
    foreign_id: ForeignId | None = None
    updated_since: Since = None


class PatientRecalls(PagedAtLocation, kw_only=True):
    recall_id: described(Id | None, "Only of this recall type.") = None
    patient_id: described(Id | None, "Only this patient's.") = None
    foreign_id: ForeignId | None = None
    updated_since: Since = None
    due_after: described(date | None, "Only those due after this day.") = None
    sort: Annotated[
        Literal[recalls.RECALL_SORTS],
        Meta(
            description="Order; a leading dash means descending. By date_due, recalls without "
            "a due date come last (first when descending)."
        ),
    ] = "id"
