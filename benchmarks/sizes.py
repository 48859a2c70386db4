"""How big each table gets at each scale. The full scale is the one the budgets are for;
`small` is about 1/50 of it, for a quick run of every scenario; `tiny` only proves every
scenario still runs (the test suite runs it; its figures mean nothing)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    organizations: int
    big_enrollments: int  # the enrollments of organization 1, the one the portal pages open
    institutions: int  # production institutions; each has exactly one enrollment
    syncs: int
    locations_per_institution: int  # locations and grants = institutions x this
    audit_events: int
    patients_big_sandbox: int  # organization 1's sandbox location, so per_page=100 is full
    patients_sandbox: int = 25
    batch: int = 5_000
    load_seconds: int = 10  # how long each load scenario sends requests
    import_rows: int = 10_000  # rows in the CSV import scenario's file
    upload_records: int = 1_000  # records per batch in the upload scenario (the most allowed)
    emails: int = 2_000  # emails the outbox scenario sends
    deliveries: int = 2_000  # webhook deliveries the fan-out scenario waits for
    round_trips: int = 200  # bookings the pending-write round trip times, one at a time

    @property
    def locations(self) -> int:
        return self.institutions * self.locations_per_institution


SCALES = {
    "full": Scale(
        name="full",
        organizations=200,
        big_enrollments=50_000,
        institutions=100_000,
        syncs=150_000,
        locations_per_institution=3,
        audit_events=1_000_000,
        patients_big_sandbox=1_000,
    ),
    "small": Scale(
        name="small",
        organizations=10,
        big_enrollments=1_000,
        institutions=2_000,
        syncs=3_000,
        locations_per_institution=3,
        audit_events=20_000,
        patients_big_sandbox=1_000,
    ),
    "tiny": Scale(
        name="tiny",
        organizations=3,
        big_enrollments=40,
        institutions=80,
        syncs=120,
        locations_per_institution=3,
        audit_events=1_000,
        patients_big_sandbox=120,
        load_seconds=1,
        import_rows=100,
        upload_records=20,
        emails=20,
        deliveries=20,
        round_trips=10,
    ),
}
