"""Phone numbers: everything is E.164 inside callscope (via Google's libphonenumber port)."""

from __future__ import annotations

import phonenumbers

MAX_INPUT_CHARS = 40


def to_e164(raw: str, region: str | None = None) -> str:
    """Normalise a number to E.164, or raise ValueError saying why it is not one.

    Without `region` the number must be international ("+..."): a tracking number written as
    "(512) 555-0100" is ambiguous across countries, and guessing would file calls wrongly.
    """
    text = raw.strip()
    if not text:
        raise ValueError("empty phone number")
    if len(text) > MAX_INPUT_CHARS:
        raise ValueError("phone number too long")
    if region is None and not text.startswith("+"):
        raise ValueError("use the international format with + and country code, like +15125550100")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc._msg}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number (E.164 like +15125550100 expected)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_format(e164: str) -> str:
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
