"""One webhook POST: to the address the target check allowed, with a short timeout, no
redirect followed, and only the first bytes of the answer read."""

import http.client
import ssl
import time
from dataclasses import dataclass

from portal.services.webhooks import targets
from portal.services.webhooks.targets import Address, Target


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None when no HTTP answer came back
    excerpt: str
    duration_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to one address; the Host header still names the target."""

    def __init__(self, target: Target, address: Address, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = targets.open_socket(self.address, self.port, self.timeout)


class _PinnedTLS(_Pinned):
    """HTTPS to one address; the certificate must still be valid for the target's name."""

    context = ssl.create_default_context()

    def connect(self):
        raw = targets.open_socket(self.address, self.port, self.timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=self.host)


def post(
    target: Target, address: Address, body: bytes, headers: dict, *, timeout: float, cap: int
) -> Answer:
    """POST `body` to `target` at `address`. Network trouble becomes an Answer with no
    status and the error in words; it never raises."""
    started = time.monotonic()
    kind = _PinnedTLS if target.scheme == "https" else _Pinned
    connection = kind(target, address, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = _read(response, cap, started + timeout)
        error = _redirect_note(response)
        return Answer(response.status, excerpt, _ms(started), error)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Answer(None, "", _ms(started), _describe(error))
    finally:
        connection.close()


def _read(response, cap: int, deadline: float) -> str:
    # At most `cap` bytes, and no longer than the timeout however slowly they trickle in.
    chunks, size = [], 0
    while size < cap and time.monotonic() < deadline:
        chunk = response.read1(min(1024, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _redirect_note(response) -> str:
    if 300 <= response.status < 400:
        where = (response.getheader("Location") or "")[:300]
        return f"Redirects are not followed (it pointed to {where or 'nowhere'})."
    return ""


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "No answer within the timeout."
    return f"{type(error).__name__}: {error}"[:500]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
