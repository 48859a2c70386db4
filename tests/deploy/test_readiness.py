"""/readyz follows the database: 503 while it cannot be reached, 200 again once it is back,
without restarting the app. The database's network path is cut with a TCP relay."""

import contextlib
import socket
import threading

import pytest
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db


class Relay:
    """Forwards loopback TCP connections to the database; `cut()` drops them all and
    refuses new ones until `restore()`."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.connections, self.listener = target, [], None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.connections += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections = []


def test_readyz_answers_503_while_the_database_is_unreachable_and_200_once_it_is_back(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs a database server to cut off (SQLite is a file in the process)")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    relay = Relay((url.host, url.port))
    relayed = create_app("test", SQLALCHEMY_DATABASE_URI=url.set(port=relay.port).render_as_string(
        hide_password=False))  # fmt: skip
    client = relayed.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        relay.cut()
        down = client.get("/readyz")
        assert down.status_code == 503 and down.get_json()["checks"]["database"] == "unreachable"
        assert client.get("/healthz").status_code == 200  # the process itself is fine
        relay.restore()
        assert client.get("/readyz").status_code == 200  # same app, no restart
    finally:
        relay.cut()
        with relayed.app_context():
            db.engine.dispose()
