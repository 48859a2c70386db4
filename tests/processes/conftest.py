"""Real processes around the app served on loopback: `flask worker` subprocesses (their
clock moved when a test travels in time), the simulated Synchronizer, a webhook receiver
that checks signatures, a real SMTP server, and an HTTP client signed in as a person."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


class Workers:
    """Starts `flask worker` processes on the test's database and mail server; stops them."""

    def __init__(self, app, smtp_port: int):
        self.app, self.smtp_port, self.running = app, smtp_port, []

    def start(self, *, ahead_seconds: float = 0, **settings) -> subprocess.Popen:
        env = {
            **os.environ,
            "SYNCPORTAL_ENV": "development",
            "SECRET_KEY": self.app.config["SECRET_KEY"],
            "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "BASE_URL": self.app.config["BASE_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "WORKER_POLL_SECONDS": "0.2",
            "FLASK_APP": "app.py",
            **{name: str(value) for name, value in settings.items()},
        }
        command = [sys.executable, "-m", "tests.processes.worker_at", str(ahead_seconds)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> str:
        """Stop a worker as its supervisor would (SIGTERM); it finishes what it does first."""
        output = self._end(process)
        assert process.returncode == 0, output
        return output

    def stop_all(self) -> None:
        for process in list(self.running):
            self._end(process)

    def _end(self, process: subprocess.Popen) -> str:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        self.running.remove(process)
        return process.communicate(timeout=120)[0]


@pytest.fixture
def workers(app, live_server, mailbox):
    """Worker processes (their emails go to `mailbox`); every one is stopped at the end."""
    found = Workers(app, app.config["MAIL_PORT"])
    yield found
    found.stop_all()


def wait_for(condition, seconds: float = 120, what: str = "the condition") -> None:
    """Wait until `condition()` holds (a busy machine may take a while), else fail."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def signed_in(base_url: str, email: str) -> httpx.Client:
    """An HTTP client with a person's session, as their browser would hold it."""
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)
    answer = client.post(
        "/login",
        data={"csrf_token": form_token(client, "/login"), "email": email, "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    return client


def form_token(client: httpx.Client, path: str) -> str:
    page = client.get(path).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def simulate(base_url: str, product_key: str, *extra: str) -> subprocess.Popen:
    """The simulated Synchronizer, as a process of its own."""
    return subprocess.Popen(
        [FLASK, "synchronizer", "simulate", "--url", base_url, "--product-key", product_key]
        + list(extra),
        cwd=ROOT,
        env={"FLASK_APP": "app.py", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
