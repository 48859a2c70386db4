"""A webhook receiver on loopback, as a developer would write one: it checks each
message's signature against the endpoint's secret (as NexHealth documents it, written here
independently of the portal's code) and answers as the test scripts it."""

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def message(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (the last one repeats); a `strict` one
    answers 401 to a message whose signature does not verify, as a developer's would."""

    answers: list = field(default_factory=lambda: [200])
    secret: str = ""
    strict: bool = False
    received: list[Received] = field(default_factory=list)
    # HTTP/1.1 keeps connections open between messages; `hang_up` then closes each one
    # right after its answer without saying so, as an idle timeout on a receiver would.
    keep_alive: bool = False
    hang_up: bool = False

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            @property
            def protocol_version(self):
                return "HTTP/1.1" if receiver.keep_alive else "HTTP/1.0"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = receiver.verifies(headers, body)
                receiver.received.append(Received(self.path, headers, body, signed))
                refused = receiver.strict and not signed
                status, extra = (401, {}) if refused else receiver.next_answer()
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                reply = f"answer {status}".encode()
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                self.close_connection = self.close_connection or receiver.hang_up

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def next_answer(self) -> tuple[int, dict]:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer if isinstance(answer, tuple) else (answer, {})

    def verifies(self, headers: dict, body: bytes) -> bool:
        timestamp, signature = headers.get("timestamp", ""), headers.get("signature", "")
        signed = f"{timestamp}.".encode() + base64.b64encode(body)
        expected = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        return bool(timestamp) and hmac.compare_digest(expected, signature)

    def messages(self) -> list[dict]:
        return [r.message for r in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
