"""gunicorn with 2 workers on a free loopback port, for the duration of a `with` block, with
production's own settings (`gunicorn.conf.py`: worker class, restarts, logging), so the
figures describe what production runs."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

WORKERS = 2
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, log_path: Path):
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    command = [str(GUNICORN), "--config", str(CONFIG), "--workers", str(WORKERS)]
    command += ["--bind", f"127.0.0.1:{port}", "benchmarks.wsgi:app"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(base: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see .bench/gunicorn.log")
        try:
            if httpx.get(f"{base}/bench/bare", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")
