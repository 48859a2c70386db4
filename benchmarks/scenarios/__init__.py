"""Scenarios: each is one small function `(bench) -> None` that adds its `Result` rows.
`ALL` is the order they run in: reads first, then the load tests, then writes."""

from benchmarks.scenarios import (
    api_load,
    counts,
    csv_import,
    export,
    fan_out,
    heartbeats,
    outbox,
    pages,
    round_trip,
    slots,
    uploads,
)

ALL = {
    "institutions": pages.institutions,
    "tab_counts": counts.tab_counts,
    "ops_syncs": pages.ops_syncs,
    "audit": pages.audit_log,
    "export": export.audit_export,
    "slots": slots.available_slots,
    "import": csv_import.import_rows,
    "api": api_load.patients,
    "heartbeats": heartbeats.heartbeats,
    "uploads": uploads.records_upload,
    "outbox": outbox.outbox_to_smtp,
    "fan_out": fan_out.webhook_fan_out,
    "round_trip": round_trip.pending_write_round_trip,
}
