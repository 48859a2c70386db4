"""A batch of emails starts with one conditional UPDATE and one commit, goes out over one
connection, and its outcomes are one transaction: statements per batch do not grow with
its size, and whatever stops a batch midway, a row the server never had goes back to the
queue unattempted while a row it may have stays in `sending` until its lease runs out."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from portal import clock
from portal.extensions import db
from portal.models import EmailStatus
from portal.services.delivery import outbox, smtp
from tests.conftest import Mailbox, MailboxHandler
from tests.services.test_outbox import queue, rows

S = EmailStatus


class Server(MailboxHandler):
    """Files messages; refuses recipients whose address starts with "refused"; at the
    `drop_at`-th MAIL command (1-based) either hangs up (`how="drop"`) or says 421."""

    def __init__(self, box: Mailbox, drop_at: int | None = None, how: str = "drop"):
        super().__init__(box)
        self.mails, self.drop_at, self.how = 0, drop_at, how
        self.on_message = None  # called after each message is filed

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        if self.mails == self.drop_at:
            if self.how == "drop":
                server.transport.close()
            return "421 Closing the connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        if self.on_message:
            self.on_message(len(self.box.received))
        return status


@pytest.fixture
def server(start_mailbox):
    def start(**kwargs) -> Server:
        handler = Server(Mailbox(), **kwargs)
        start_mailbox(handler)
        return handler

    return start


def received(handler: Server) -> list[str]:
    return [m["To"] for m in handler.box.received]


def queue_with_refused(count: int) -> None:
    """`count` emails, every fourth to a recipient the server refuses."""
    for n in range(count):
        queue(1, prefix="refused" if n % 4 == 3 else f"reader{n}-")


def statements_for_one_batch() -> int:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        outbox.send_due("w:1")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_statements_per_batch_do_not_grow_with_its_size(server):
    handler = server()
    queue_with_refused(4)
    small = statements_for_one_batch()
    queue_with_refused(40)
    large = statements_for_one_batch()
    assert small == large <= 6  # recover x2, claim; sent, retries (one executemany)
    assert len(handler.box.received) == 3 + 30
    statuses = [(e.recipient.startswith("refused"), e.status, e.attempts) for e in rows()]
    assert set(statuses) == {(False, S.SENT, 1), (True, S.PENDING, 1)}


@pytest.mark.parametrize("how", ["drop", "421"])
def test_a_connection_lost_mid_batch_leaves_the_rest_pending_and_unattempted(server, how):
    handler = server(drop_at=3, how=how)
    ids = queue(6)
    assert outbox.send_due("w:1") == 2
    by_id = {e.id: e for e in rows()}
    assert [by_id[i].status for i in ids[:2]] == [S.SENT, S.SENT]
    third = by_id[ids[2]]  # the one the server broke off on: tried, backs off
    assert (third.status, third.attempts) == (S.PENDING, 1) and third.next_attempt_at > clock.now()
    assert third.last_error
    for email_id in ids[3:]:  # never handed over: due again, no attempt used
        email = by_id[email_id]
        assert (email.status, email.attempts, email.last_error) == (S.PENDING, 0, "")
        assert (email.claimed_by, email.claimed_until) == ("", None)
        assert email.next_attempt_at <= clock.now()

    assert outbox.send_due("w:1") == 3  # the next batch, a new connection
    assert len(received(handler)) == 5


class Crash(BaseException):
    """Something no handler expects (a signal, a bug) escaping from the sending."""


def test_a_crash_mid_batch_records_what_was_sent_and_gives_back_what_was_not(
    app, server, monkeypatch
):
    handler = server()
    ids = queue(5)
    real, calls = smtp.TimeoutConnection.send, []

    def send(connection, message):
        calls.append(message)
        if len(calls) == 3:
            raise Crash
        return real(connection, message)

    monkeypatch.setattr(smtp.TimeoutConnection, "send", send)
    with pytest.raises(Crash):
        outbox.send_due("w:1")
    by_id = {e.id: e for e in rows()}
    assert [by_id[i].status for i in ids] == [S.SENT, S.SENT, S.SENDING, S.PENDING, S.PENDING]
    assert [by_id[i].attempts for i in ids] == [1, 1, 1, 0, 0]
    assert S.CLAIMED not in {e.status for e in by_id.values()}

    monkeypatch.setattr(smtp.TimeoutConnection, "send", real)
    assert outbox.send_due("w:2") == 2  # the two given back
    # The one in flight may have reached the server: failed for ops once its lease is over.
    with clock.travel(timedelta(seconds=app.config["OUTBOX_CLAIM_SECONDS"] + 1)):
        assert outbox.send_due("w:2") == 0
    assert [e.status for e in rows()] == [S.SENT, S.SENT, S.FAILED, S.SENT, S.SENT]
    assert len(received(handler)) == 4


def test_a_batch_past_half_its_lease_stops_and_gives_back_the_rest(app, server):
    handler = server()
    ids = queue(5)
    half_lease = clock.travel(timedelta(seconds=app.config["OUTBOX_CLAIM_SECONDS"] / 2))

    def slow(messages: int) -> None:
        if messages == 2:  # the server took so long that half the lease has gone by
            half_lease.__enter__()

    handler.on_message = slow
    try:
        assert outbox.send_due("w:1") == 2
    finally:
        half_lease.__exit__(None, None, None)
    statuses = [(e.status, e.attempts, e.claimed_by) for e in rows()]
    assert statuses == [(S.SENT, 1, "")] * 2 + [(S.PENDING, 0, "")] * 3
    handler.on_message = None
    assert outbox.send_due("w:2") == 3
    assert sorted(received(handler)) == sorted(e.recipient for e in rows() if e.id in ids)


def test_outcomes_only_move_rows_the_worker_still_holds(app, server):
    server()
    queue(2)
    lease = timedelta(seconds=app.config["OUTBOX_CLAIM_SECONDS"])
    batch = outbox._claim("slow:1", 50, clock.now(), lease)
    with clock.travel(lease + timedelta(seconds=1)):
        outbox.send_due("fast:2")  # the slow worker looks stopped: its rows fail
    done = outbox._Done(unsent=[batch[1].id], sent=[batch[0].id])
    outbox._record("slow:1", done)  # the slow worker wakes up and records its batch
    assert [e.status for e in rows()] == [S.FAILED, S.FAILED]
