"""The audit log reads as words: records by name ("Webhook subscription"), details with
statuses, events and systems by their labels and no empty reason; counts in the singular
or plural they need."""

import html
import re

import pytest

from portal import readable
from portal.admin_views.audit_log import details
from portal.services import audit
from tests.admin.test_page_words import shown_text


@pytest.mark.parametrize(
    "type_name, words",
    [
        ("WebhookSubscription", "Webhook subscription"),
        ("ApiKey", "API key"),
        ("ImportBatch", "Import batch"),
        ("ActivationRequest", "Activation request"),
        ("Sync", "Sync"),
        ("", ""),
    ],
)
def test_a_record_type_is_named_in_words(type_name, words):
    assert audit.record_name(type_name) == words


def test_a_transition_shows_its_statuses_by_label_and_leaves_out_an_empty_reason():
    shown = details({"before": "installing", "after": "active", "reason": ""})
    assert shown == "before: Installing · after: Active"
    shown = details({"before": "needs_sync", "after": "awaiting_consent", "reason": "Why"})
    assert shown == "before: Needs sync · after: Awaiting consent · reason: Why"


def test_events_systems_and_modes_read_by_their_names():
    assert details({"event": "patient_created"}) == "event: Patient created"
    assert details({"ehr": "dentrix", "server_name": ""}) == "ehr: Dentrix (G6.2+)"
    assert details({"mode": "sandbox", "last_four": "eoLW"}) == "mode: Test · last four: eoLW"
    assert details({"locations": [3, 4], "whole": True}) == "locations: 3, 4 · whole: Yes"
    assert details(None) == ""


def test_the_demo_audit_log_names_records_and_statuses_in_words(demo_consoles):
    developer, _ = demo_consoles
    page = html.unescape(shown_text(developer.get("/portal/audit/").get_data(as_text=True)))
    assert "Webhook subscription" in page and "WebhookSubscription" not in page
    assert "event: Patient created" in page and "patient_created" not in page
    assert "before: Installing" in page and not re.search(r"reason:\s*(·|\n|$)", page)


@pytest.mark.parametrize(
    "count, singular, many, words",
    [
        (1, "location", None, "1 location"),
        (2, "location", None, "2 locations"),
        (0, "row", None, "0 rows"),
        (2, "match: request access", "matches: request access", "2 matches: request access"),
    ],
)
def test_a_count_reads_in_the_singular_or_the_plural(count, singular, many, words):
    assert readable.plural(count, singular, many) == words
