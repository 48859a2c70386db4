"""The deployment as the README describes it, run for real on loopback: the Procfile's
processes (gunicorn and `flask worker`) with the production environment, a Redis server
(Debian's redis-server) and a real SMTP server.

The binaries come from DEPLOY_VENV when set (`make test` points it at a virtualenv that has
only requirements.txt, as a production install), else from the test virtualenv.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float = 90, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def procfile() -> dict[str, list[str]]:
    """The process types of the Procfile, as argument lists."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: command.split() for name, _, command in (line.partition(": ") for line in lines)}


def bin_dir() -> Path:
    return Path(os.environ.get("DEPLOY_VENV") or Path(sys.executable).parent.parent) / "bin"


class Process:
    """A process of ours, stopped (and waited for) when the test ends."""

    def __init__(self, command: list[str], env: dict, name: str):
        self.name = name
        self.log = Path(f"/tmp/syncportal-{name}-{os.getpid()}-{time.monotonic_ns()}.log")
        self.handle = self.log.open("w")
        self.popen = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.handle, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        if not self.handle.closed:  # still running; once stopped, its log is all there
            self.handle.flush()
        return self.log.read_text()

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        self.handle.close()
        return self.popen.returncode


class Deployment:
    """Start Procfile processes with one environment; stop them all at the end."""

    def __init__(self, env: dict):
        self.env = {**os.environ, **env}
        self.processes: list[Process] = []

    def web(self, workers: int = 2) -> str:
        port = free_port()
        command = procfile()["web"]
        command[0] = str(bin_dir() / command[0])
        env = {**self.env, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
        process = Process(command, env, f"web-{port}")
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        if not wait_until(lambda: _ready(base) or process.popen.poll() is not None):
            raise AssertionError(f"web never became ready:\n{process.output()[-3000:]}")
        if process.popen.poll() is not None:
            raise AssertionError(f"web stopped:\n{process.output()[-3000:]}")
        return base

    def worker(self) -> Process:
        command = procfile()["worker"]
        command[0] = str(bin_dir() / command[0])
        process = Process(command, self.env, f"worker-{len(self.processes)}")
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    def __init__(self):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise AssertionError("redis-server is missing: run `make system-deps` (Debian).")
        self.binary, self.port = binary, free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_until(self.answers, seconds=30):
            raise AssertionError("redis-server did not start")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def keys(self) -> list[bytes]:
        import redis

        return redis.Redis(port=self.port, socket_timeout=2).keys("*")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
