"""An institution's email is normalised exactly as the email validator normalises it, also
where the domain's verdict is remembered (plain addresses)."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.onboarding import institutions


def outcome(normalise, address: str) -> str:
    try:
        return normalise(address)
    except EmailNotValidError:
        return "refused"


def validator(address: str) -> str:
    return validate_email(address, check_deliverability=False).normalized


EDGES = [
    "Desk.Front+2@Practice.Example",
    "Info@Practice.com",  # a mailbox name the validator lowercases
    "SALES@practice.com",
    "a..b@practice.com",
    ".a@practice.com",
    "a@practice",
    "a@localhost",
    "a@practice.test",
    "a@practice.local",
    "a@-practice.com",
    "a@practice-.com",
    "a@ab--cd.com",
    "a@xn--bcher-kva.example",
    "a@123.456",
    "a@" + "b" * 64 + ".com",
    "x" * 64 + "@practice.com",
    "x" * 65 + "@practice.com",
    "x" * 60 + "@" + ".".join(["d" * 60] * 3) + ".com",
    "x" * 64 + "@" + ".".join(["d" * 63] * 3) + ".com",  # too long only as a whole
    "a@b.c",
    "%+_-@practice.com",
    "a@practice.com.",
    "Ann <a@practice.com>",
    '"a b"@practice.com',
    "jörg@practice.com",
    "a@bücher.example",
]


@pytest.mark.parametrize("address", EDGES)
def test_edge_addresses_get_the_validators_answer(address):
    assert outcome(institutions._normal_email, address) == outcome(validator, address)


PIECES = st.sampled_from(
    ["a", "Z", "0", ".", "..", "-", "_", "+", "%", "info", "xn--", "com", "test", "é", " ", "@"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(PIECES, min_size=1, max_size=12).map("".join),
    st.lists(PIECES, min_size=1, max_size=12).map("".join),
)
def test_any_address_gets_the_validators_answer(local, domain):
    address = f"{local}@{domain}"
    assert outcome(institutions._normal_email, address) == outcome(validator, address)


def test_a_domain_is_judged_once_for_many_addresses():
    institutions._email_domain.cache_clear()
    for n in range(50):
        assert institutions._normal_email(f"office{n}@Import.Example") == (
            f"office{n}@import.example"
        )
    assert institutions._email_domain.cache_info().misses == 1
