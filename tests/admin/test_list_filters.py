"""Every list filter of both consoles, given garbage, answers with a page and a message:
never a server error. Enum filters take the stored value (what their dropdown sends) or
the member's name."""

from urllib.parse import quote

import pytest
from flask import current_app

from portal.models import Mode
from portal.services.accounts import api_keys, users
from tests.conftest import PASSWORD, login
from tests.onboarding import enrollment_in, sync_in, upgraded

GARBAGE = [
    "cloud",
    "CLOUD",
    "",
    "not-a-status",
    "x" * 5000,
    "nul\x00byte",
    "99999999999999999999999",
    "-1",
    "1e400",
    "nan",
    "2024-13-45",
    "'; DROP TABLE users; --",
    "%_%",
    "a,b,,c",
    "\ufffd\ud7ff",
]


def _list_views(prefix: str):
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            if view.url.startswith(prefix) and hasattr(view, "_filter_args"):
                yield view


def _urls(view, value: str):
    for key in view._filter_args or {}:
        yield f"{view.url}/?flt0_{key}={quote(value)}"
    # Search, paging and sorting arguments get the same garbage.
    for key in ("search", "page", "page_size", "sort", "desc", "tab", "status"):
        yield f"{view.url}/?{key}={quote(value)}"


@pytest.fixture
def consoles(app):
    """A staff client and an org admin client, with a few rows in every queue."""
    user = upgraded("Alpha Apps", "alice@alpha.example", "Alice")
    api_keys.create(user.organization, Mode.SANDBOX, actor=user)
    from portal.models import EnrollmentStatus, SyncStage

    sync_in(enrollment_in(user, EnrollmentStatus.INSTALLING), "denticon", SyncStage.INSTALLING)
    users.create_staff("olive@ops.example", PASSWORD)
    staff, developer = app.test_client(), app.test_client()
    login(staff, "olive@ops.example")
    login(developer, "alice@alpha.example")
    return {"/ops": staff, "/portal": developer}


@pytest.mark.parametrize("value", GARBAGE, ids=range(len(GARBAGE)))
def test_no_list_filter_search_or_pager_answers_a_server_error_whatever_the_value(consoles, value):
    failures = []
    for prefix, client in consoles.items():
        for view in _list_views(prefix):
            for url in _urls(view, value):
                for path in (url, url.replace("/?", "/export/csv/?", 1)):
                    try:
                        status = client.get(path).status_code
                    except Exception as error:  # the test client re-raises what would be a 500
                        status = repr(error)[:80]
                    if not isinstance(status, int) or status >= 500:
                        failures.append(f"{path[:120]} -> {status}")
    assert failures == []


def test_an_enum_filter_takes_the_stored_value_or_the_name(consoles):
    user = upgraded("Bravo Apps", "bob@bravo.example", "Bob")
    from portal.models import EnrollmentStatus, SyncStage

    sync_in(
        enrollment_in(user, EnrollmentStatus.LIVE, "Cloud Dental"), "denticon", SyncStage.ACTIVE
    )
    sync_in(
        enrollment_in(user, EnrollmentStatus.LIVE, "Onprem Dental"), "dentrix", SyncStage.ACTIVE
    )
    staff = consoles["/ops"]
    for value in ("cloud", "CLOUD"):
        page = staff.get(f"/ops/syncs/?flt0_install_method_equals={value}").get_data(as_text=True)
        assert "Cloud Dental" in page and "Onprem Dental" not in page


def test_a_bad_filter_value_is_ignored_with_a_message_naming_the_choices(consoles):
    page = consoles["/ops"].get("/ops/syncs/?flt0_status_equals=exploded")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ignored the filter Status" in text and "installing" in text
