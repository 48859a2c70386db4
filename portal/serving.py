"""How a gunicorn sync worker ends a connection once its answer is written.

gunicorn closes every connection gracefully (RFC 9112, section 9.6): it half-closes, then
reads until the client closes its side or two seconds pass, so that request bytes still on
their way cannot make the kernel answer with a reset, which can erase the response before
the client reads it. That wait holds the worker: under the bench's load it was a seventh of
a worker's time for the API's busiest read (BENCHMARKS.md). The risk exists only while the
client may still send: a request with a body (the application may not have read it all), or
bytes already waiting (a pipelined request). An answer to a request with neither, written in
full, is closed at once, as nginx's default `lingering_close on` decides; every other
connection keeps gunicorn's lingering close.
"""

import socket

from portal.inputs import has_body


def close_if_done(sock: socket.socket, environ: dict, sent: int, length: int | None) -> bool:
    """Close `sock` now if the request had no body, the answer's `length` bytes were all
    `sent`, and the client has sent nothing more; return whether it was closed."""
    if length is None or sent < length or has_body(environ):
        return False
    try:
        waiting = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        waiting = b""
    except (OSError, ValueError):  # already gone, or a TLS socket (no peeking there)
        return False
    if waiting:
        return False
    sock.close()  # nothing in the receive buffer: the kernel sends the rest and a FIN
    return True
