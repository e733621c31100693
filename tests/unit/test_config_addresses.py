"""The config's address check has a fast path for plain ASCII addresses
(issue 18: importing email_validator costs ~27 ms on every command). It must
answer exactly as email_validator does, or leave the address to it."""

from __future__ import annotations

import email_validator
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from ticketcli.config import RESERVED_TLDS, _plain_ascii_address, split_address

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
# Characters that make an address odd: dots and hyphens in the wrong place,
# quotes, brackets, spaces, a second @, a non-ASCII letter.
ODD = '.-@"()<>[]\\ ,;:é'
LABEL_CHARS = "abkxnZ09-"

local_parts = st.text(alphabet=ATEXT + "..", min_size=0, max_size=12)
labels = st.one_of(
    st.text(alphabet=LABEL_CHARS, min_size=0, max_size=8),
    st.sampled_from(["xn--ls8h", "ab--c", "a" * 64, "a" * 63, "7", "ee"]),
)
tlds = st.one_of(
    st.sampled_from([*sorted(RESERVED_TLDS), "ee", "com", "COM", "x1", "1", "e-"]),
    st.text(alphabet=LABEL_CHARS, min_size=0, max_size=4),
)
domains = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=0, max_size=4),
    tlds,
)
shaped = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
anything = st.text(alphabet=ATEXT + ODD + LABEL_CHARS, max_size=30)


def _validator(addr: str) -> str | None:
    try:
        return validate_email(addr, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@given(st.one_of(shaped, anything))
@example("Support@Example.COM")
@example("a@b.c1")  # a TLD must end in a letter
@example("a@xn--ls8h.ee")  # Punycode: email_validator decodes it
@example("a@ab--c.ee")  # an R-LDH label
@example("a@mail.localhost")
@example("a..b@kund.ee")
@example(f"{'a' * 200}@{'b' * 50}.ee")  # 254 characters, over
def test_the_fast_path_agrees_with_email_validator_or_defers(addr: str) -> None:
    fast = _plain_ascii_address(addr)
    if fast is not None:
        assert fast == _validator(addr), addr


@given(shaped)
def test_split_address_gives_what_email_validator_gives(addr: str) -> None:
    expected = _validator(addr)
    if expected is None:
        with pytest.raises(ValueError, match="is not a valid address"):
            split_address(addr)
    else:
        assert split_address(f"Mari Tamm <{addr}>") == ("Mari Tamm", expected)


@pytest.mark.parametrize(
    "addr", ["support@example.com", "Mari.Tamm+x@kund-1.co.ee", "o'neil@x.io"]
)
def test_plain_addresses_take_the_fast_path(addr: str) -> None:
    assert _plain_ascii_address(addr) == addr.lower()


def test_the_reserved_names_are_email_validators() -> None:
    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == RESERVED_TLDS
