"""Webhook POSTs: each to the address the target check allowed, with a short timeout, no
redirect followed, and only the first bytes of the answer read. A batch keeps one
connection open per target and address (`Connections`) while receivers keep it alive."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from portal.services.webhooks import targets
from portal.services.webhooks.targets import Address, Target

# What a kept-alive connection the receiver has meanwhile closed raises on its next use:
# the message is sent again once, on a new connection.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


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
        self.sock = _no_delay(targets.open_socket(self.address, self.port, self.timeout))


class _PinnedTLS(_Pinned):
    """HTTPS to one address; the certificate must still be valid for the target's name."""

    context = ssl.create_default_context()

    def connect(self):
        raw = _no_delay(targets.open_socket(self.address, self.port, self.timeout))
        self.sock = self.context.wrap_socket(raw, server_hostname=self.host)


def _no_delay(sock: socket.socket) -> socket.socket:
    # `http.client` writes the headers and the body separately: on a kept-alive connection,
    # Nagle's algorithm would hold the body until the receiver's delayed ACK (40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Connections:
    """The open connections of one batch, by target and address; closed with the batch."""

    def __init__(self):
        self.idle: dict[tuple, _Pinned] = {}

    def __enter__(self) -> "Connections":
        return self

    def __exit__(self, *exc) -> None:
        for connection in self.idle.values():
            connection.close()
        self.idle.clear()

    def post(self, target: Target, address: Address, body: bytes, headers: dict, **limits):
        """POST `body` to `target` at `address` (`limits`: timeout, cap). Network trouble
        becomes an Answer with no status and the error in words; it never raises."""
        key = (target.scheme, target.host, target.port, address)
        kept = self.idle.pop(key, None)
        if kept is not None:
            try:
                return self._exchange(key, kept, target, body, headers, **limits)
            except STALE:
                kept.close()  # the receiver closed it meanwhile: once more, on a new one
        kind = _PinnedTLS if target.scheme == "https" else _Pinned
        fresh = kind(target, address, limits["timeout"])
        started = time.monotonic()
        try:
            return self._exchange(key, fresh, target, body, headers, **limits)
        except STALE as error:
            fresh.close()
            return Answer(None, "", _ms(started), _describe(error))

    def _exchange(self, key, connection, target, body, headers, *, timeout, cap) -> Answer:
        """One request and its answer on `connection`; raises only a STALE error."""
        started = time.monotonic()
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = _read(response, cap, started + timeout)
        except STALE:
            raise
        except (OSError, http.client.HTTPException, ValueError) as error:
            connection.close()
            return Answer(None, "", _ms(started), _describe(error))
        if _read_to_the_end(response) and not response.will_close:
            response.close()
            self.idle[key] = connection  # it can carry the next message
        else:
            connection.close()
        return Answer(response.status, excerpt, _ms(started), _redirect_note(response))


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


def _read_to_the_end(response) -> bool:
    return response.isclosed() or (not response.chunked and response.length == 0)


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
