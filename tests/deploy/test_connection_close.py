"""A plain gunicorn worker lets go of a connection as soon as a bodiless request's answer is
written, and lingers (gunicorn's graceful close) whenever the client may still be sending."""

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal import serving

GET = {"REQUEST_METHOD": "GET"}


@pytest.fixture
def connection():
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def test_an_answer_written_in_full_to_a_bodiless_request_is_closed_at_once(connection):
    server, client = connection
    server.sendall(b"answer")
    assert serving.close_if_done(server, GET, sent=6, length=6)
    assert server.fileno() == -1
    assert client.recv(100) == b"answer" and client.recv(100) == b""  # all of it, then EOF


def test_a_client_that_has_closed_its_side_is_closed_at_once(connection):
    server, client = connection
    client.shutdown(socket.SHUT_WR)
    assert serving.close_if_done(server, GET, sent=6, length=6)


@pytest.mark.parametrize(
    "environ",
    [
        {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "12"},
        {"REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "chunked"},
    ],
    ids=["content-length", "chunked"],
)
def test_a_request_with_a_body_keeps_the_lingering_close(connection, environ):
    server, _ = connection
    assert not serving.close_if_done(server, environ, sent=6, length=6)
    assert server.fileno() != -1


def test_bytes_already_waiting_keep_the_lingering_close(connection):
    server, client = connection
    client.sendall(b"GET /next HTTP/1.1\r\n")  # a pipelined request
    assert not serving.close_if_done(server, GET, sent=6, length=6)
    assert server.recv(100) == b"GET /next HTTP/1.1\r\n"  # peeked, not taken


@pytest.mark.parametrize(("sent", "length"), [(3, 6), (0, None)], ids=["cut", "streamed"])
def test_an_answer_not_known_to_be_complete_keeps_the_lingering_close(connection, sent, length):
    server, _ = connection
    assert not serving.close_if_done(server, GET, sent=sent, length=length)


def _server_side(server_port: int, client_port: int) -> dict | None:
    """The server's end of a loopback connection in the kernel's table: inode 0 means no
    process holds it any more (closed, the kernel finishing the goodbye alone)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":"), fields[2].split(":")
        if int(local[1], 16) == server_port and int(remote[1], 16) == client_port:
            return {"inode": int(fields[9])}
    return None


def _get(base: str, path: str) -> tuple[socket.socket, bytes]:
    """`path` read to the server's end of the answer, the client's side left open."""
    address = urlsplit(base)
    client = socket.create_connection((address.hostname, address.port), timeout=30)
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    answer = b""
    while chunk := client.recv(65536):
        answer += chunk
    return client, answer


def test_the_procfiles_web_server_frees_its_worker_once_the_answer_is_sent(deployment):
    base = deployment.web(workers=1)
    client, answer = _get(base, "/api/openapi.json")
    try:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )  # fmt: skip
        assert len(body) == length and json.loads(body)["paths"]  # nothing cut short
        side = _server_side(urlsplit(base).port, client.getsockname()[1])
        assert side is None or side["inode"] == 0  # the worker no longer waits on this client
    finally:
        client.close()
