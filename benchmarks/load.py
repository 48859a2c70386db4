"""Load on loopback, bounded in time: Debian's `wrk` when installed (it costs the 2-core
machine least), else a small asyncio/httpx generator. Both give requests/s, p99, the
count of answers that were not 2xx and of requests that got no answer in time.

Requests rotate through a list; the text `__NOW__` in a body becomes the current UTC time
(to the second) when the request is sent, so repeated heartbeats really move forward."""

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

CONNECTIONS = 16
SECONDS = 10
MAX_REQUESTS = 200_000  # the Python generator stops here even if time remains
NOW = "__NOW__"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: str = ""


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p99_ms: float
    errors: int  # answers that were not 2xx (or 3xx, for wrk)
    tool: str
    timeouts: int = 0  # requests with no answer in time (a loaded machine)

    @property
    def summary(self) -> str:
        late = f", {self.timeouts} timed out" if self.timeouts else ""
        return f"p99 {self.p99_ms:.1f} ms, {self.errors} errors{late}, {self.tool}"


def run(
    base: str, requests: list[Request], script: Path, seconds: int = SECONDS, timeout: int = 2
) -> Load:
    """Send `requests` round-robin to `base` for `seconds` with CONNECTIONS connections; a
    request with no answer after `timeout` seconds counts as timed out (wrk only)."""
    if shutil.which("wrk"):
        return _wrk(base, requests, script, seconds, timeout)
    return asyncio.run(_python(base, requests, seconds))


def _lua(requests: list[Request]) -> str:
    items = ",\n".join(
        "{{{}, {}, {{{}}}, {}}}".format(
            json.dumps(r.method),
            json.dumps(r.path),
            ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in r.headers.items()),
            json.dumps(r.body),
        )
        for r in requests
    )
    return f"""local items = {{
{items}
}}
local i = 0
request = function()
  i = i % #items + 1
  local r = items[i]
  local body = string.gsub(r[4], "{NOW}", os.date("!%Y-%m-%dT%H:%M:%S+00:00"))
  if body == "" then body = nil end
  return wrk.format(r[1], r[2], r[3], body)
end
"""


def _wrk(base: str, requests: list[Request], script: Path, seconds: int, timeout: int) -> Load:
    script.write_text(_lua(requests))
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", f"--timeout={timeout}s"]
    command += ["--latency", "-s", str(script)]
    out = subprocess.run(command + [base], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors, timeouts = (
        int(found.group(1)) if (found := re.search(pattern, out)) else 0
        for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"timeout (\d+)")
    )
    return Load(rate, p99, errors, "wrk", timeouts)


async def _python(base: str, requests: list[Request], seconds: int) -> Load:
    latencies, errors, sent = [], 0, 0
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, i: int) -> None:
        nonlocal errors, sent
        while time.monotonic() < deadline and sent < MAX_REQUESTS:
            r = requests[i % len(requests)]
            sent, i = sent + 1, i + CONNECTIONS
            body = r.body.replace(NOW, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"))
            started = time.perf_counter()
            response = await client.request(
                r.method, base + r.path, headers=r.headers, content=body or None
            )
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not 200 <= response.status_code < 300

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client, n) for n in range(CONNECTIONS)))
    elapsed = time.monotonic() - started
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else 0.0
    return Load(len(latencies) / elapsed, p99, errors, "python asyncio/httpx")
