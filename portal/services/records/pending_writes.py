"""Writes the production API accepts for a practice, on their way to its health record
system: queued with the change, collected by the location's Synchronizer, applied there and
reported back, or timed out. Every move is one conditional UPDATE (two racers, one winner).

Appointment bookings end in `appointment_insertion` complete, failed or timed_out; a booking
that did not reach the practice is cancelled here so that its time is free again.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.models import Location, Mode, Organization, PendingWrite, Sync, SyncStage, User
from portal.models import WriteKind as Kind
from portal.models import WriteStatus as Status
from portal.records import Appointment, Patient
from portal.services import Conflict, Forbidden, NotFound, audit, commit
from portal.services.outcomes import Outcome
from portal.services.records import record_events
from portal.services.records.api_access import Caller, InvalidField

OPEN = (Status.PENDING, Status.APPLYING)
# Each move: the statuses it starts from and where it leads.
TRANSITIONS = {
    "collect": (OPEN, Status.APPLYING),
    "complete": (OPEN, Status.COMPLETE),
    "fail": (OPEN, Status.FAILED),
    "time_out": (OPEN, Status.TIMED_OUT),
    "retry": ((Status.FAILED, Status.TIMED_OUT), Status.PENDING),
    "cancel": ((*OPEN, Status.FAILED, Status.TIMED_OUT), Status.CANCELLED),
}
# The event each outcome of a booking or a change sends (None: no event).
OUTCOME_EVENTS = {
    (Kind.APPOINTMENT_CREATE, Status.COMPLETE): "appointment_insertion.complete",
    (Kind.APPOINTMENT_CREATE, Status.FAILED): "appointment_insertion.failed",
    (Kind.APPOINTMENT_CREATE, Status.TIMED_OUT): "appointment_insertion.timed_out",
    (Kind.PATIENT_CREATE, Status.COMPLETE): "patient_created",
    (Kind.APPOINTMENT_UPDATE, Status.COMPLETE): "appointment_updated",
}
# The reason of a write the Synchronizer never reported (its timed_out event carries it).
TIMED_OUT = "The Synchronizer did not report in time."
COLLECT_LIMIT = 100


@dataclass(frozen=True)
class Result:
    write_id: int
    foreign_id: str = ""
    error: str = ""


def follow(caller: Caller, location: Location, kind: Kind, record, changed=()) -> None:
    """A write made through the API goes to the practice when it is a production one (the
    sandbox has no practice behind it). Raises Conflict as `queue` does."""
    if caller.mode is Mode.PRODUCTION:
        queue(caller, location, kind, record, changed)


def queue(caller: Caller, location: Location, kind: Kind, record, changed=()) -> PendingWrite:
    """Add a write of `record` (a patient or an appointment of `location`) for the location's
    Synchronizer to the caller's transaction. Raises Conflict when no active Synchronizer
    serves the location (nothing could take the write to the practice)."""
    sync = db.session.get(Sync, location.sync_id) if location.sync_id else None
    if sync is None or sync.status is not SyncStage.ACTIVE:
        raise Conflict(
            "No active Synchronizer serves this location, so the write cannot reach the "
            "practice. Check the sync's status."
        )
    seconds = current_app.config["PENDING_WRITE_TIMEOUT_SECONDS"]
    write = PendingWrite(
        sync_id=sync.id,
        location_id=location.id,
        organization_id=caller.organization_id,
        kind=kind,
        status=Status.PENDING,
        changed=list(changed),
        deadline_at=clock.now() + timedelta(seconds=seconds),
        **_target(record),
    )
    db.session.add(write)
    return write


def _target(record) -> dict:
    if isinstance(record, Appointment):
        return {"appointment_id": record.id, "patient_id": record.patient_id}
    return {"patient_id": record.id}


def collect(sync: Sync) -> list[PendingWrite]:
    """The sync's open writes, oldest first, each claimed as being written. A write collected
    before and not reported is handed out again (the agent may have restarted)."""
    ids = db.session.scalars(
        select(PendingWrite.id)
        .where(PendingWrite.sync_id == sync.id, PendingWrite.status.in_(OPEN))
        .order_by(PendingWrite.id)
        .limit(COLLECT_LIMIT)
    ).all()
    claimed = [write_id for write_id in ids if _move(write_id, "collect", attempt=True)]
    commit()
    if not claimed:
        return []
    query = select(PendingWrite).where(PendingWrite.id.in_(claimed)).order_by(PendingWrite.id)
    return db.session.scalars(query).all()


def report(sync: Sync, results: list[Result]) -> list[dict]:
    """Record the Synchronizer's results in order: a foreign id completes a write, an error
    fails it with that reason. A result for a write already settled changes nothing (and
    says so). Raises NotFound, changing nothing, when a write is not this sync's."""
    writes = {
        write.id: write
        for write in db.session.scalars(
            select(PendingWrite).where(
                PendingWrite.sync_id == sync.id,
                PendingWrite.id.in_([r.write_id for r in results]),
            )
        )
    }
    for index, result in enumerate(results):
        if result.write_id not in writes:
            raise NotFound(f"results[{index}].id names no write of this Synchronizer.")
        if writes[result.write_id].kind is not Kind.APPOINTMENT_UPDATE and not (
            result.foreign_id or result.error
        ):
            raise InvalidField(f"results[{index}]", "needs the foreign_id or an error.")
    answers = [_settle(writes[r.write_id], r) for r in results]
    commit()
    return answers


def _settle(write: PendingWrite, result: Result) -> dict:
    move = "fail" if result.error else "complete"
    values = {"reason": result.error[:1000], "foreign_id": result.foreign_id[:40]}
    if not _move(write.id, move, **values):
        return {"id": write.id, "status": "ignored", "message": "This write was settled already."}
    db.session.refresh(write)
    record = _record(write)
    if move == "complete" and result.foreign_id and record is not None:
        record.foreign_id = result.foreign_id[:40]
    _after(write, record)
    return {"id": write.id, "status": write.status.value}


def time_out_due(worker: str = "") -> int:
    """Mark the open writes past their deadline as timed out; returns how many. Several
    workers may run it at once: each write times out once."""
    now = clock.now()
    due = db.session.scalars(
        select(PendingWrite.id)
        .where(PendingWrite.status.in_(OPEN), PendingWrite.deadline_at < now)
        .order_by(PendingWrite.id)
        .limit(500)
    ).all()
    done = 0
    for write_id in due:
        if _move(write_id, "time_out", reason=TIMED_OUT):
            write = db.session.get(PendingWrite, write_id)
            db.session.refresh(write)
            _after(write, _record(write))
            done += 1
        commit()
    return done


def retry(writes: list[PendingWrite], *, actor: User) -> Outcome:
    """Staff's *Retry*: failed and timed-out writes go back in the queue with a fresh
    deadline; a booking freed by its failure is booked again. Others are skipped, as is a
    write someone else moved first. Audited; one transaction. Forbidden unless staff."""
    _staff_only(actor)
    seconds = current_app.config["PENDING_WRITE_TIMEOUT_SECONDS"]
    deadline = clock.now() + timedelta(seconds=seconds)
    outcome = Outcome()
    for write in writes:
        if not _move(write.id, "retry", reason="", deadline_at=deadline, resolved_at=None):
            outcome.skip(write, "it is no longer failed or timed out.")
            continue
        record = _record(write)
        if isinstance(record, Appointment) and write.kind is Kind.APPOINTMENT_CREATE:
            record.cancelled, record.cancelled_at = False, None
        _audit("pending_write.retried", write, actor)
        outcome.done.append(write)
    commit()
    return outcome


def cancel(writes: list[PendingWrite], *, actor: User) -> Outcome:
    """Staff's *Cancel*: writes not written yet stop; the Synchronizer no longer receives
    them and a late result changes nothing. Completed or cancelled ones are skipped.
    Audited; one transaction. Forbidden unless staff."""
    _staff_only(actor)
    outcome = Outcome()
    for write in writes:
        if not _move(write.id, "cancel", reason="Cancelled by staff."):
            outcome.skip(write, "it was written or cancelled already.")
            continue
        _audit("pending_write.cancelled", write, actor)
        outcome.done.append(write)
    commit()
    return outcome


def waiting(organization: Organization, sync: Sync, limit: int = 20) -> list[PendingWrite]:
    """The organization's writes for `sync` that are not written: open, failed or timed out
    (the institution page), newest first."""
    return db.session.scalars(
        select(PendingWrite)
        .where(
            PendingWrite.organization_id == organization.id,
            PendingWrite.sync_id == sync.id,
            PendingWrite.status.in_([*OPEN, Status.FAILED, Status.TIMED_OUT]),
        )
        .order_by(PendingWrite.id.desc())
        .limit(limit)
    ).all()


def _staff_only(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise Forbidden("Only staff retry or cancel writes to a practice.")


def _audit(action: str, write: PendingWrite, actor: User) -> None:
    organization = db.session.get(Organization, write.organization_id)
    audit.record(action, actor=actor, organization=organization, target=write, sync=write.sync_id)


def _move(write_id: int, move: str, *, attempt: bool = False, **values) -> bool:
    sources, target = TRANSITIONS[move]
    values = {"status": target, **values}
    if attempt:
        values.update(attempts=PendingWrite.attempts + 1, collected_at=clock.now())
    elif target not in OPEN:
        values.setdefault("resolved_at", clock.now())
    claimed = db.session.execute(
        update(PendingWrite)
        .where(PendingWrite.id == write_id, PendingWrite.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _record(write: PendingWrite):
    if write.kind is Kind.PATIENT_CREATE:
        return db.session.get(Patient, write.patient_id) if write.patient_id else None
    return db.session.get(Appointment, write.appointment_id) if write.appointment_id else None


def _after(write: PendingWrite, record) -> None:
    """What an outcome does besides the write's row: free a booking that did not reach the
    practice, and send the outcome's event to the organization that wrote (why it was not
    written, when it was not)."""
    name = OUTCOME_EVENTS.get((write.kind, write.status))
    not_written = write.status in (Status.FAILED, Status.TIMED_OUT)
    if not_written and write.kind is Kind.APPOINTMENT_CREATE and record is not None:
        record.cancelled, record.cancelled_at = True, clock.now()  # announced as GET shows it
    if name is not None and record is not None:
        location = db.session.get(Location, write.location_id)
        organization = db.session.get(Organization, write.organization_id)
        db.session.flush()
        why = {"reason": write.reason} if not_written else None
        record_events.announce(location, name, [record], organizations=[organization], extra=why)
