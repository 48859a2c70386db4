"""The audit budget of refusals holds across processes: a flood of forged forms spread over
two app servers (two gunicorn workers each) writes the budget's rows, not a budget per
process, because every process counts in the same Redis."""

import threading

import httpx
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent
from tests.deploy.test_multi_instance import postgresql  # noqa: F401 (a fixture)

BUDGET = 5


def test_a_flood_over_every_process_writes_one_budget_of_denials(
    deployment,
    postgresql,  # noqa: F811
):
    deployment.env["AUDIT_DENIALS_PER_MINUTE"] = str(BUDGET)
    bases = [deployment.web(workers=2), deployment.web(workers=2)]
    answers = []

    def flood(base: str) -> None:
        for _ in range(10):
            # A new connection per call, so gunicorn hands calls to all of its workers.
            with httpx.Client() as client:
                answers.append(client.post(f"{base}/login", data={"email": "x"}).status_code)

    threads = [threading.Thread(target=flood, args=(bases[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [400] * 60
    written = select(func.count()).where(AuditEvent.action == "denied.csrf")
    assert db.session.scalar(written) == BUDGET
