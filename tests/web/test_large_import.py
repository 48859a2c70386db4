"""A 10,000-row CSV applied from the portal: the worker imports it in one transaction while
the page shows rows done, then the result; other people's requests keep working meanwhile
(on SQLite their writes wait for the import's lock instead of failing)."""

import csv
import io
import re
import threading
import time

import httpx
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Sync
from portal.services.delivery import progress as job_progress
from portal.services.imports.csv_import import COLUMNS
from tests.conftest import PASSWORD, signup
from tests.onboarding import upgraded

ROWS = 10_000
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def ten_thousand_rows() -> bytes:
    """8,000 practices; every fifth row is a second server of the practice before it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i in range(ROWS):
        n = i - (i % 5 == 4)
        values = {
            "institution_name": f"Big Import Dental {n}",
            "street_address": f"{n} Long Road",
            "city": "Albany",
            "state": "NY",
            "zip_code": "12207",
            "phone_number": f"(518) {n // 10000:03d}-{n % 10000:04d}",
            "ehr": "dentrix",
            "server_name": "BACK" if i % 5 == 4 else "FRONT",
        }
        writer.writerow([values.get(column, "") for column in COLUMNS])
    return buffer.getvalue().encode()


def signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=600)
    token = TOKEN.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": PASSWORD})  # fmt: skip
    assert response.status_code == 302, response.text
    return client


class HeldHalfway:
    """Holds the import at its first report between the start and the end until the
    progress page has shown it: the page's view of a running import is checked whatever the
    speed of the import or of the machine."""

    def __init__(self, monkeypatch):
        self.shown = threading.Event()
        monkeypatch.setattr(job_progress, "INTERVAL_SECONDS", 0)  # every report is written
        report = job_progress.Reporter.__call__

        def held(reporter, done, total):
            report(reporter, done, total)
            if 0 < done < total:
                self.shown.wait(timeout=600)

        monkeypatch.setattr(job_progress.Reporter, "__call__", held)


class Bystander:
    """Another organization's admin using the portal the whole time: reads and writes."""

    def __init__(self, base: str):
        self.base, self.answers, self.stopping = base, [], threading.Event()
        self.thread = threading.Thread(target=self._browse)
        self.thread.start()

    def _browse(self) -> None:
        while not self.stopping.is_set():
            try:
                client = signed_in(self.base, "bystander@other.example")  # a write
                for path in ("/portal/", "/portal/users/", "/healthz"):
                    self.answers.append((path, client.get(path).status_code))
                client.close()
            except Exception as exc:  # any failure is a finding: kept and reported
                self.answers.append(("sign-in", repr(exc)))

    def stop(self) -> list:
        self.stopping.set()
        self.thread.join(timeout=900)
        return self.answers


def test_a_ten_thousand_row_import_shows_progress_and_completes_while_others_work(
    live_server, running_worker, monkeypatch
):
    halfway = HeldHalfway(monkeypatch)
    upgraded("Big Imports", "big@big.example")
    signup("Other Apps", "bystander@other.example")
    client = signed_in(live_server, "big@big.example")
    token = TOKEN.search(client.get("/portal/imports/").text).group(1)
    upload = {"file": ("big.csv", ten_thousand_rows(), "text/csv")}
    uploaded = client.post("/portal/imports/", data={"csrf_token": token}, files=upload)
    preview = uploaded.headers["Location"]
    assert "Import 10000 rows" in client.get(preview).text

    before = db.session.scalar(select(func.count(Sync.id)))
    bystander = Bystander(live_server)
    try:
        applied = client.post(f"{preview}apply", data={"csrf_token": token})
        progress = applied.headers["Location"]
        assert "Rows imported" in client.get(progress).text
        seen, deadline = [], time.monotonic() + 1800
        while time.monotonic() < deadline:
            state = client.get(f"{progress}.json").json()
            seen.append((state["stage"], state["done"], state["total"]))
            if state["stage"] == "running" and 0 < state["done"] < state["total"]:
                halfway.shown.set()
            if state["stage"] in ("finished", "failed"):
                break
            time.sleep(0.2)
    finally:
        halfway.shown.set()
        answers = bystander.stop()
    assert seen[-1][0] == "finished", seen[-5:]
    assert any(stage == "running" and 0 < done < total == ROWS for stage, done, total in seen)
    result = client.get(progress, follow_redirects=True)
    assert result.url.path.endswith("/result") and "Big Import Dental 9998" in result.text
    client.close()
    assert db.session.scalar(select(func.count(Sync.id))) == before + ROWS
    assert answers and all(status == 200 for _, status in answers), answers
