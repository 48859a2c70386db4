"""Fixtures of the page tests."""

import pytest

from tests.conftest import csrf_token, login
from tests.onboarding import upgraded


@pytest.fixture
def bravo(client):
    """Bravo Apps' admin, signed in, in production mode."""
    user = upgraded("Bravo Apps", "b@bravo.example")
    login(client, "b@bravo.example")
    client.post(
        "/portal/mode", data={"csrf_token": csrf_token(client, "/portal/"), "mode": "production"}
    )
    return user
