"""A mail server that accepts connections and never answers cannot slow a page: requests only
queue emails. The worker waits on it (up to MAIL_TIMEOUT_SECONDS), and once the server is
back every email goes out exactly once."""

import socket
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from portal import clock, worker
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail
from portal.services.accounts import upgrades, users
from tests.conftest import PASSWORD, csrf_token, login, signup

UPGRADES = "/ops/upgrade-requests/"


class SilentServer:
    """Accepts TCP connections on the mail port and never says a word."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def stop(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for connection in self.accepted:
            connection.close()
        self.thread.join(timeout=30)


def fifty_upgrade_requests() -> None:
    for i in range(50):
        admin = signup(f"Waiting {i} Apps", f"admin{i}@waiting{i}.example")
        upgrades.request_upgrade(
            admin.organization, legal_name=f"Waiting {i} LLC",
            billing_email=f"bills{i}@waiting{i}.example", expected_practices=3, actor=admin,
        )  # fmt: skip


def test_inviting_and_a_fifty_row_bulk_approval_finish_while_the_mail_server_never_answers(
    app, client, mail_settings, start_mailbox
):
    silent = SilentServer(mail_settings)
    try:
        signup("Alpha Apps", "alice@alpha.example", "Alice")
        fifty_upgrade_requests()
        login(client, "alice@alpha.example")
        page = "/portal/users/invite/"
        invited = client.post(
            page, data={"csrf_token": csrf_token(client, page), "email": "new@alpha.example"}
        )
        assert invited.status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})

        users.create_staff("olive@ops.example", PASSWORD)
        login(client, "olive@ops.example")
        review = f"{UPGRADES}bulk/?action=approve&all=1&flt0_status_equals=pending"
        assert "Approve: 50 upgrade requests" in client.get(review).get_data(as_text=True)
        approved = client.post(
            review, data={"csrf_token": csrf_token(client, review), "expected": "50"}
        )
        assert approved.status_code == 302
        assert "50 requests approved" in client.get(approved.headers["Location"]).get_data(
            as_text=True
        )
        # Both requests completed while the server never answered: no request even connected.
        assert silent.accepted == []

        worker.run_until_idle()  # the worker connects, waits MAIL_TIMEOUT_SECONDS, backs off
        assert len(silent.accepted) >= 1
        queued = db.session.scalars(select(OutboundEmail)).all()
        assert all(e.status is EmailStatus.PENDING for e in queued)
        expected = Counter(e.recipient for e in queued)
        approvals = [e for e in queued if e.template == "upgrade_decided"]
        assert len(approvals) == 100 and expected["new@alpha.example"] == 1  # admin + billing
    finally:
        silent.stop()

    mailbox = start_mailbox()  # the server recovers
    with clock.travel(timedelta(hours=1)):
        worker.run_until_idle()
        worker.run_until_idle()
    assert Counter(m["To"] for m in mailbox.received) == expected  # each email exactly once
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(select(OutboundEmail))} == {EmailStatus.SENT}
