"""Two app servers (gunicorn, 2 workers each) and two workers on one PostgreSQL and one
Redis, started from the Procfile with the README's environment: an API key's limit holds
across every process, and queued emails reach a real SMTP server exactly once each."""

import json
import threading
import time

import httpx
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail
from tests.deploy.conftest import PER_SECOND, queue_emails
from tests.deploy.harness import wait_until


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several app servers and workers need PostgreSQL (SQLite runs one worker)")


def token_for(base: str, api_key: str) -> str:
    response = httpx.post(f"{base}/api/authenticates", headers={"Authorization": api_key})
    assert response.status_code == 201, response.text
    return response.json()["data"]["token"]


def drive(bases: list[str], token: str, refused: int = 20, threads: int = 12) -> list[tuple]:
    """Call the API from `threads` clients spread over `bases` until `refused` calls got 429
    (at least 3 s, at most 3 min); each result is (status, Retry-After, time answered)."""
    results, stopping = [], threading.Event()
    headers = {"Authorization": f"Bearer {token}"}

    def client(i: int) -> None:
        # A new connection per call, so gunicorn hands calls to all of its workers.
        while not stopping.is_set():
            try:
                response = httpx.get(
                    f"{bases[i % len(bases)]}/api/institutions", headers=headers, timeout=120
                )
            except httpx.HTTPError as exc:
                results.append((repr(exc), None, time.monotonic()))
                continue
            results.append((response.status_code, response.headers.get("Retry-After"),
                            time.monotonic()))  # fmt: skip

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    wait_until(
        lambda: time.monotonic() - started > 3 and [r[0] for r in results].count(429) >= refused,
        seconds=180,
    )
    stopping.set()
    for worker in workers:
        worker.join(timeout=180)
    return results


def test_an_api_keys_limit_holds_across_two_app_servers_of_two_workers_each(
    postgresql, deployment, api_key
):
    bases = [deployment.web(workers=2), deployment.web(workers=2)]
    assert httpx.get(f"{bases[1]}/readyz").json()["checks"]["rate_limits"] == "ok"  # Redis
    token = token_for(bases[0], api_key)
    started = time.monotonic()
    results = drive(bases, token)
    elapsed = max(at for _, _, at in results) - started

    answered = [status for status, _, _ in results]
    assert set(answered) <= {200, 429}, sorted(set(map(str, answered)))
    # Fixed one-second windows: at most the limit per window, and a run of `elapsed` seconds
    # touches at most elapsed + 1 windows. Four processes counting apart would allow 4x.
    assert answered.count(200) <= PER_SECOND * (elapsed + 1) + PER_SECOND // 2, (
        answered.count(200),
        elapsed,
    )
    assert answered.count(429) >= 20  # the clients really pushed past it
    assert all(int(after) >= 0 for status, after, _ in results if status == 429)
    assert all(after is not None for status, after, _ in results if status == 429)
    for process in deployment.processes:  # gunicorn's and the app's lines: JSON, no secret
        output = process.output()
        assert api_key not in output and token not in output
        assert all(json.loads(line) for line in output.splitlines() if line.strip())


def test_two_hundred_queued_emails_reach_the_mail_server_exactly_once_with_two_workers(
    postgresql, deployment, start_mailbox
):
    mailbox = start_mailbox()
    workers = [deployment.worker(), deployment.worker()]
    queue_emails(200)

    def all_sent() -> bool:
        db.session.expire_all()
        statuses = db.session.scalars(select(OutboundEmail.status)).all()
        return statuses.count(EmailStatus.SENT) == 200

    assert wait_until(all_sent, seconds=240), [w.output()[-2000:] for w in workers]
    recipients = sorted(m["To"] for m in mailbox.received)
    assert len(recipients) == 200 and len(set(recipients)) == 200
    assert all(w.popen.poll() is None for w in workers)
