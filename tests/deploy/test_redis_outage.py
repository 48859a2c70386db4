"""Redis stops under API load: every call still gets an answer (each process counts on its
own meanwhile, and /readyz says so); once Redis is back the shared limits return."""

import threading
import time

import httpx

from tests.deploy.harness import wait_until
from tests.deploy.test_multi_instance import token_for


class Load:
    """Clients calling the API until stopped; every answer (or failure) is kept with when."""

    def __init__(self, base: str, token: str, clients: int = 6):
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}
        self.results: list[tuple[object, float]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._call) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def _call(self) -> None:
        while not self.stopping.is_set():
            try:
                response = httpx.get(
                    f"{self.base}/api/institutions", headers=self.headers, timeout=120
                )
                self.results.append((response.status_code, time.monotonic()))
            except httpx.HTTPError as exc:
                self.results.append((repr(exc), time.monotonic()))

    def since(self, moment: float) -> list:
        return [status for status, at in list(self.results) if at > moment]

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=180)


def test_a_redis_outage_under_load_causes_no_error_and_the_limits_come_back(
    deployment, redis_server, api_key
):
    base = deployment.web(workers=2)
    load = Load(base, token_for(base, api_key))
    try:
        assert wait_until(lambda: 429 in load.since(0), seconds=60)  # limited through Redis
        assert redis_server.keys()

        redis_server.stop()
        stopped = time.monotonic()
        assert wait_until(lambda: len(load.since(stopped)) >= 20, seconds=120)
        ready = httpx.get(f"{base}/readyz", timeout=60)
        assert ready.status_code == 200
        assert ready.json()["checks"]["rate_limits"].startswith("unreachable")

        redis_server.start()  # an empty Redis on the same port
        back = time.monotonic()
        # Each process looks at Redis again after a growing pause (at most about 30 s).
        assert wait_until(lambda: bool(redis_server.keys()), seconds=150)
        counted_again = time.monotonic()
        assert wait_until(lambda: 429 in load.since(counted_again), seconds=60)
        assert httpx.get(f"{base}/readyz", timeout=60).json()["checks"]["rate_limits"] == "ok"
    finally:
        load.stop()
    answers = [status for status, _ in load.results]
    assert set(answers) <= {200, 429}, sorted(set(map(str, answers)))
    assert load.since(stopped) and load.since(back)
