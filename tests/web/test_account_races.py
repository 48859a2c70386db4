"""Real concurrent clients against a live server: parallel wrong passwords cannot overtake
the sign-in limit, and parallel sign-ups with one email make one account."""

import re
import threading

import httpx
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import LoginThrottle, Organization, User
from tests.conftest import PASSWORD, signup

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def form_client(base: str, path: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=120)
    token = TOKEN.search(client.get(path).text).group(1)
    return client, token


def all_at_once(count: int, prepare, act) -> list:
    """Prepare `count` clients, then let all of them act at the same moment."""
    prepared = [prepare(i) for i in range(count)]
    start = threading.Barrier(count)
    results = [None] * count

    def run(i):
        start.wait()
        results[i] = act(i, prepared[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for client, _ in prepared:
        client.close()
    return results


def test_forty_parallel_wrong_passwords_check_exactly_the_configured_number(app, live_server):
    signup("Target Co", "target@target.example")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]

    def guess(i, prepared):
        client, token = prepared
        data = {"csrf_token": token, "email": "target@target.example", "password": f"wrong-{i}"}
        return client.post("/login", data=data).status_code

    codes = all_at_once(40, lambda i: form_client(live_server, "/login"), guess)
    assert codes.count(401) == limit  # checked: wrong password
    assert codes.count(429) == 40 - limit  # refused before any check
    throttle = db.session.get(LoginThrottle, "account:target@target.example")
    assert throttle.locked_until is not None


def test_the_right_password_is_refused_while_the_account_is_locked(app, live_server):
    signup("Target Co", "target@target.example")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    client, token = form_client(live_server, "/login")
    for i in range(limit):
        data = {"csrf_token": token, "email": "target@target.example", "password": f"no-{i}"}
        assert client.post("/login", data=data).status_code == 401
    data = {"csrf_token": token, "email": "target@target.example", "password": PASSWORD}
    refused = client.post("/login", data=data)
    client.close()
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text


def test_ten_parallel_sign_ups_with_one_email_make_one_account_and_no_error(live_server):
    def sign_up(i, prepared):
        client, token = prepared
        data = {
            "csrf_token": token,
            "organization_name": "Racing Dental Apps",
            "name": f"Racer {i}",
            "email": "racer@racing.example",
            "password": PASSWORD,
        }
        return client.post("/signup", data=data)

    responses = all_at_once(10, lambda i: form_client(live_server, "/signup"), sign_up)
    codes = [r.status_code for r in responses]
    # Every sign-up answers alike (the page never tells whether the address had an account).
    assert codes == [302] * 10, codes
    assert all(r.headers["Location"].endswith("/login") for r in responses)
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(Organization.id))) == 1
