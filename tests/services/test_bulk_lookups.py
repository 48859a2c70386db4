"""The CSV import's batched lookups give what the one-at-a-time ones give."""

from portal.models import Institution, SyncStage
from portal.services import naming
from portal.services.onboarding import matching
from tests.onboarding import institution, sync_in, upgraded


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
