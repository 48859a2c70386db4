"""SENTRY_DSN: an unexpected error reaches the error tracker (a real HTTP receiver on
loopback), without credentials, cookies or query strings."""

import gzip
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPT = """
import sentry_sdk
from portal import create_app

app = create_app(
    "test", SQLALCHEMY_DATABASE_URI="sqlite://", SENTRY_DSN="{dsn}", PROPAGATE_EXCEPTIONS=False
)

@app.get("/boom")
def boom():
    raise RuntimeError("boom from the error reporting test")

response = app.test_client().get(
    "/boom?token=query-secret-123",
    headers={{"Authorization": "Bearer header-secret-456", "Cookie": "session=cookie-secret-789"}},
)
assert response.status_code == 500, response.status_code
sentry_sdk.flush(timeout=30)
"""


class Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        Receiver.bodies.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_an_unexpected_error_is_reported_without_secrets():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    try:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(dsn=dsn)],
            cwd=os.path.dirname(os.path.dirname(__file__)),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    sent = b"\n".join(Receiver.bodies).decode(errors="replace")
    assert "boom from the error reporting test" in sent
    for secret in ("query-secret-123", "header-secret-456", "cookie-secret-789"):
        assert secret not in sent
