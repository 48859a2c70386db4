"""Applying an import is a worker job: the page follows its progress, a refusal in the
worker writes nothing and leaves the file ready to import again."""

import threading

import pytest
from sqlalchemy import func, select

from portal import worker
from portal.extensions import db
from portal.models import ImportBatch, ImportStatus, Institution, Job, Organization
from portal.services.delivery import jobs
from tests.conftest import csrf_token, login
from tests.onboarding import upgraded
from tests.services.test_csv_import import row, to_csv
from tests.web.test_import_pages import upload


@pytest.fixture
def dev(client):
    user = upgraded("Alpha Apps", "a@alpha.example")
    login(client, "a@alpha.example")
    return user


def queue_import(client) -> str:
    preview = upload(client, to_csv([row(server="FRONT"), row(server="BACK")])).headers["Location"]
    applied = client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    return applied.headers["Location"]


def institutions() -> int:
    return db.session.scalar(
        select(func.count(Institution.id)).where(Institution.mode == "production")
    )


def test_the_progress_page_and_its_json_follow_the_job_to_the_result(client, dev):
    progress = queue_import(client)
    waiting = client.get(f"{progress}.json").get_json()
    assert (waiting["stage"], waiting["done"]) == ("waiting", 0)
    assert client.post(progress.replace("/progress", "/apply"), data={
        "csrf_token": csrf_token(client, progress)}).status_code == 409  # fmt: skip
    worker.run_until_idle()
    finished = client.get(f"{progress}.json").get_json()
    assert finished["stage"] == "finished"
    assert client.get(progress).headers["Location"].endswith("/result")
    assert institutions() == 1


def test_an_import_refused_in_the_worker_writes_nothing_and_can_be_applied_again(client, dev):
    progress = queue_import(client)
    dev.organization.production_enabled = False  # rights changed while the job waited
    db.session.commit()
    worker.run_until_idle()
    page = client.get(progress).get_data(as_text=True)
    assert "Nothing was imported" in page and "opens once your organization is upgraded" in page
    assert client.get(f"{progress}.json").get_json()["stage"] == "failed"
    assert institutions() == 0
    assert db.session.scalar(select(ImportBatch.status)) is ImportStatus.PREVIEWED

    dev.organization.production_enabled = True
    db.session.commit()
    preview = progress.removesuffix("progress")
    again = client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    assert again.headers["Location"].endswith("/progress")
    worker.run_until_idle()
    assert institutions() == 1


def test_progress_is_readable_elsewhere_while_the_jobs_transaction_is_open(app):
    seen = []

    def look(job_id):
        with app.app_context():
            seen.append(jobs.progress_of(db.session.get(Job, job_id)))

    def halfway(job, report):
        db.session.add(Organization(name="Half", slug="half"))
        db.session.flush()  # the job holds its transaction (on SQLite: the write lock)
        report(5, 10)
        reader = threading.Thread(target=look, args=(job.id,))
        reader.start()
        reader.join(timeout=60)
        return {}

    jobs.enqueue("test.halfway")
    db.session.commit()
    assert jobs.run_next("w:1", {"test.halfway": jobs.Kind(halfway)}) == 1
    assert seen == [(5, 10)]
