"""The CSV import's batched lookups give what the one-at-a-time ones give."""

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import Institution, SyncStage
from portal.services import naming
from portal.services.imports import csv_import
from portal.services.onboarding import matching
from tests.onboarding import institution, sync_in, upgraded
from tests.services.test_bulk_import_rows import generated_file


def test_many_matches_at_once_are_the_single_matches():
    owner = upgraded("Alpha Apps", "a@alpha.example")
    bravo = upgraded("Bravo Apps", "b@bravo.example").organization
    live = institution(owner, "The Smile Co., LLC", phone_number="+1 (518) 555-0100")
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    street, zip_code = live.institution.street_address, live.institution.zip_code
    practices = [
        matching.Practice("smile co", "9 Elm St", zip_code, ""),
        matching.Practice("Other", street.upper(), zip_code, ""),
        matching.Practice("Other", "9 Elm St", "99999", "518.555.0100"),
        matching.Practice("Other", "9 Elm St", zip_code, "(212) 555-0199"),
    ]

    found = matching.find_matches(bravo, practices, chunk=3)

    single = [
        matching.find_match(
            bravo, name=p.name, street_address=p.street_address, zip_code=p.zip_code, phone=p.phone
        )
        for p in practices
    ]
    assert found == single == [live.institution] * 3 + [None]


def test_many_slugs_at_once_are_unique_among_themselves_and_the_table():
    owner = upgraded("Alpha Apps", "a@alpha.example")
    taken = institution(owner, "Hudson Dental").institution.subdomain

    slugs = naming.unique_slugs(Institution.subdomain, ["Hudson Dental", "Hudson Dental", "Oak"])

    assert slugs[2] == "oak" and taken == "hudson-dental"
    assert len(set(slugs) | {taken}) == 4
    assert all(slug.startswith("hudson-dental-") for slug in slugs[:2])


def test_matches_and_the_organizations_own_matches_come_from_one_set_of_lookups():
    owner = upgraded("Alpha Apps", "a@alpha.example")
    bravo_admin = upgraded("Bravo Apps", "b@bravo.example")
    bravo = bravo_admin.organization
    live = institution(owner, "The Smile Co., LLC", phone_number="+1 (518) 555-0100")
    sync_in(live, "dentrix", SyncStage.ACTIVE)
    own = institution(bravo_admin, "Oak Dental", phone_number="(518) 555-0177")
    zip_code = live.institution.zip_code
    practices = [
        matching.Practice("smile co", "9 Elm St", zip_code, ""),
        matching.Practice("Other", "9 Elm St", "99999", "518-555-0177"),
        matching.Practice("Other", "9 Elm St", "99999", "(212) 555-0199"),
    ]

    both = matching.find_both(bravo, practices, chunk=2)

    assert both == [(live.institution, None), (None, own.institution), (None, None)]
    assert [live for live, _ in both] == matching.find_matches(bravo, practices, chunk=2)


def test_planning_a_file_sends_no_statement_twice():
    dev = upgraded("Alpha Apps", "a@alpha.example")
    batch = csv_import.upload(dev.organization, "f.csv", generated_file(30), actor=dev)
    sent = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, repr(parameters)))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        plan = csv_import.preview(batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(plan.groups) == 30 and not plan.errors
    assert sent and len(set(sent)) == len(sent)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Clínica Dental Zoë", "clinica-dental-zoe"),
        ("Sunrise Dental Ünï", "sunrise-dental-uni"),
        ("Smile Straße", "smile-strasse"),
        ("Ｆｕｌｌｗｉｄｔｈ Dental", "fullwidth-dental"),
        ("歯科", "practice"),
    ],
)
def test_a_subdomain_keeps_the_letters_under_the_accents(name, slug):
    assert naming.slugify(name) == slug
