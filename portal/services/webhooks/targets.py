"""Where webhooks may go: a public address only, never loopback, private, link-local, cloud
metadata or otherwise reserved ones (a webhook must not become a way into our network).

A URL is checked when an endpoint is created or changed, and again before every batch of
deliveries a worker sends: the name is resolved, every address it resolves to must be
public, and the batch then connects to the address that was checked (never resolving
again), so a name that changes its answer between the check and the connection (DNS
rebinding) cannot redirect it.
Loopback is allowed only where WEBHOOK_ALLOW_LOOPBACK is on (development and tests, for
local receivers); production refuses to start with it.
"""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from portal.services import PortalError

MAX_URL_LENGTH = 2000
MAX_HOST_LENGTH, MAX_LABEL_LENGTH = 253, 63  # RFC 1035's limits on a name
RESOLVE_TIMEOUT_SECONDS = 3
# Instance metadata services: AWS, GCP and Azure (169.254.169.254), AWS over IPv6, Alibaba.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(PortalError):
    """A target URL we will not send to; the message says why in words."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # the name (or literal address) as written, for Host and TLS
    port: int
    path: str  # path and query, as sent in the request line


def parse(url: str) -> Target:
    """The URL's parts, if it is an absolute http(s) URL we could send to. Raises
    UnsafeTarget naming what is wrong (HTTPS is required where WEBHOOK_REQUIRE_HTTPS)."""
    url = (url or "").strip()
    if not url:
        raise UnsafeTarget("Enter the URL that receives the webhooks.")
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeTarget("The target URL is too long or contains spaces.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget("The target URL is not a valid web address.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("The target URL must start with https:// and name a host.")
    if parts.scheme != "https" and current_app.config["WEBHOOK_REQUIRE_HTTPS"]:
        raise UnsafeTarget("The target URL must use HTTPS: webhook messages may carry PHI.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("Put no user name or password in the target URL.")
    if len(parts.hostname) > MAX_HOST_LENGTH or any(
        len(label) > MAX_LABEL_LENGTH for label in parts.hostname.split(".")
    ):
        # Refused before any lookup, and not echoed: no name this long can exist.
        raise UnsafeTarget(
            "The target URL's host name is longer than a host name can be "
            f"({MAX_HOST_LENGTH} characters, {MAX_LABEL_LENGTH} between dots)."
        )
    path = parts.path or "/"
    return Target(
        url=url,
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (443 if parts.scheme == "https" else 80),
        path=f"{path}?{parts.query}" if parts.query else path,
    )


def check(url: str) -> Target:
    """`parse`, then resolve the name and refuse any address that is not public."""
    target = parse(url)
    addresses(target)
    return target


def addresses(target: Target) -> list[Address]:
    """Every address `target` resolves to now, each allowed. Raises UnsafeTarget when the
    name does not resolve or when any of its addresses is not a public one."""
    found = _literal(target.host)
    if found is None:
        found = _resolve_in_time(target.host, target.port)
    if not found:
        raise UnsafeTarget(f"{target.host} does not resolve to any address.")
    for address in found:
        refusal = refusal_for(address)
        if refusal:
            raise UnsafeTarget(f"{target.host} points at {address}, {refusal}: not allowed.")
    return found


def refusal_for(address: Address) -> str | None:
    """Why `address` may not receive webhooks (None when it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if current_app.config["WEBHOOK_ALLOW_LOOPBACK"] else "a loopback address"
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host` (tests replace this function)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def open_socket(address: Address, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly `address` (tests route it to a local receiver)."""
    return socket.create_connection((str(address), port), timeout=timeout)


def _literal(host: str) -> list[Address] | None:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        return None


_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-resolve")


def _resolve_in_time(host: str, port: int) -> list[Address]:
    # The system resolver has no timeout of its own; a hung lookup must not hold a page.
    future = _resolver.submit(resolve, host, port)
    try:
        raw = future.result(timeout=RESOLVE_TIMEOUT_SECONDS)
    except ResolveTimeout as error:
        raise UnsafeTarget(f"{host} could not be resolved in time; try again.") from error
    except (OSError, UnicodeError) as error:
        raise UnsafeTarget(f"{host} could not be resolved.") from error
    found = []
    for text in raw:
        try:
            found.append(ipaddress.ip_address(text.split("%")[0]))
        except ValueError:
            continue
    return list(dict.fromkeys(found))
