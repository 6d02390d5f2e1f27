"""Reading caller ids: E.164 and country, or nothing for anonymous and garbage ids."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import geocoder

from callscope.calls.facts import parse_phone


@pytest.mark.parametrize(
    ("raw", "region", "e164", "country"),
    [
        ("5125557401", "US", "+15125557401", "US"),
        ("+1 (512) 555-7401", None, "+15125557401", "US"),
        ("15125557401", None, "+15125557401", "US"),
        ("030 1234567", "DE", "+49301234567", "DE"),
        ("8 (495) 123-45-67", "RU", "+74951234567", "RU"),
        ("anonymous", "US", None, None),
        ("+266696687", None, None, None),
        ("Restricted", None, None, None),
        ("", "US", None, None),
        ("1" * 50, "US", None, None),
    ],
)
def test_caller_ids(raw: str, region: str | None, e164: str | None, country: str | None) -> None:
    caller = parse_phone(raw, region)
    assert (caller.e164, caller.country) == (e164, country)


@pytest.mark.parametrize("region", ["US", "CA", None])
def test_the_nanp_block_cache_agrees_with_libphonenumber(region: str | None) -> None:
    rng = random.Random(str(region))
    heads = [f"{rng.randint(200, 999)}{rng.randint(0, 999):03d}" for _ in range(700)]
    valid = 0
    for head in heads * 4:  # several numbers of each block: most answers come from the cache
        national = f"{head}{rng.randint(0, 9999):04d}"
        raw = rng.choice(
            [national, f"1{national}", f"+1 ({national[:3]}) {national[3:6]}-{national[6:]}"]
        )
        if region is None:
            raw = "+1" + national
        parsed = phonenumbers.parse(raw, region)
        if phonenumbers.is_valid_number(parsed):
            expected = (
                "+1" + national,
                phonenumbers.region_code_for_number(parsed),
                geocoder.description_for_number(parsed, "en") or None,
            )
            valid += 1
        else:
            expected = (None, None, None)
        got = parse_phone(raw, region)
        assert (got.e164, got.country, got.region) == expected, raw
    assert valid > 300  # enough valid numbers were among them to mean something
