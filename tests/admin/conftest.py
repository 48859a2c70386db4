"""Fixtures of the console walks."""

import pytest

from portal.services import demo
from tests.conftest import csrf_token, login


@pytest.fixture
def demo_consoles(app):
    """The demo world, and two signed-in clients: its developer in production mode, and
    its staff member."""
    demo.load()
    developer, staff = app.test_client(), app.test_client()
    login(developer, demo.LOGINS[0].email, demo.PASSWORD)
    login(staff, demo.LOGINS[2].email, demo.PASSWORD)
    token = csrf_token(developer, "/portal/")
    developer.post("/portal/mode", data={"csrf_token": token, "mode": "production"})
    return developer, staff
