"""Institution details refuse a line break or control character in the field that has one,
and in no other (the whole set is looked at once first, so every field is named); a field
that shows nothing is missing."""

import pytest

from portal.services.onboarding import institutions
from tests.onboarding import ADDRESS

BREAKS = ["\n", "\r", "\x07", "\u2028", "\x85"]


def refusal(**fields) -> dict[str, str]:
    details = institutions.Details(**{"name": "Bright Smiles", **ADDRESS, **fields})
    with pytest.raises(institutions.InvalidDetails) as refused:
        institutions.clean(details)
    return refused.value.errors


@pytest.mark.parametrize("character", BREAKS, ids=repr)
def test_a_control_character_is_named_in_its_own_field_only(character):
    errors = refusal(city=f"Spring{character}field", contact_name=f"Ana{character}Ruiz")
    one_line = "Use one line, without line breaks or control characters."
    assert errors == {"city": one_line, "contact_name": one_line}


def test_clean_details_pass_and_come_back_trimmed():
    details = institutions.Details(**{**ADDRESS, "name": "  Bright Smiles  ", "city": " Troy "})
    cleaned = institutions.clean(details)
    assert (cleaned.name, cleaned.city) == ("Bright Smiles", "Troy")


def test_a_name_that_shows_nothing_is_missing():
    assert refusal(name="\u200b\u200d", city=" \ufeff ") == {
        "name": "Enter the institution's name.",
        "city": "Enter the city.",
    }
