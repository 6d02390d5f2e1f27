"""What one provider event says about a call (`Facts`), and how the events of a call merge.

Each provider module turns its raw payload into `Facts`; fields an event does not speak
about stay None. `merge` folds all the facts of one call into its record in an order that
depends only on the facts themselves (how far the call had got, then arrival order), so the
record is the same whichever order the events came in and however often each came.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

from callscope.calls.models import CallStatus

# How far along a call a status shows; a later stage wins. "answered" outranks the
# unanswered outcomes because it is evidence (a provider that said "no answer" first and
# "completed" with talk time later was connected); voicemail outranks answered because only
# a provider that knows the call reached a mailbox says it.
STAGE = {
    None: -1,
    CallStatus.ringing: 0,
    CallStatus.missed: 1,
    CallStatus.failed: 2,
    CallStatus.busy: 3,
    CallStatus.answered: 4,
    CallStatus.voicemail: 5,
}


@dataclass
class Facts:
    call_key: str
    status: CallStatus | None = None
    direction: str | None = None
    caller_raw: str | None = None
    caller_name: str | None = None
    caller_city: str | None = None
    caller_state: str | None = None
    caller_country: str | None = None
    tracking_number_raw: str | None = None
    forward_to_raw: str | None = None
    region: str | None = None  # default region for national-format numbers
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ring_seconds: int | None = None
    talk_seconds: int | None = None
    agent: str | None = None
    location: str | None = None
    recording_url: str | None = None
    recording_path: str | None = None  # a file already on this machine (CDR import)
    recording_channels: int | None = None
    # Known at the time the event arrived: the call started no later than this.
    seen_at: datetime | None = None


_MIN_FIELDS = ("started_at", "answered_at", "seen_at")
_MAX_FIELDS = ("ended_at", "talk_seconds", "ring_seconds")


def merge(facts: list[tuple[int, Facts]]) -> Facts:
    """Fold (event id, facts) pairs of one call into one Facts."""
    if len(facts) == 1:  # most calls from a CDR file: nothing to fold
        return facts[0][1]
    ordered = sorted(facts, key=lambda pair: (STAGE[pair[1].status], pair[0]))
    out = Facts(call_key=ordered[0][1].call_key)
    for _, item in ordered:
        for field in dataclasses.fields(Facts):
            name = field.name
            value = getattr(item, name)
            if value is None or name == "call_key":
                continue
            current = getattr(out, name)
            if current is not None and name in _MIN_FIELDS:
                value = min(current, value)
            elif current is not None and name in _MAX_FIELDS:
                value = max(current, value)
            setattr(out, name, value)
    return out


@dataclass(frozen=True)
class Caller:
    e164: str | None
    country: str | None
    region: str | None


NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))


@lru_cache(maxsize=65_536)
def parse_phone(raw: str | None, default_region: str | None) -> Caller:
    """E.164, country and place of a caller id; all None for anonymous or garbage ids."""
    if not raw:
        return Caller(None, None, None)
    text = raw.strip()
    if len(text) > 40:
        return Caller(None, None, None)
    digits = "".join(filter(str.isdigit, text))  # map and filter: no generator per character
    if not digits:
        return Caller(None, None, None)
    nanp = _nanp_e164(text, digits, default_region)
    if nanp is not None and (block := _NANP_BLOCKS.get(nanp[:8])) is not None:
        return Caller(nanp, block[1], block[2]) if block[0] else Caller(None, None, None)
    if not text.startswith("+") and default_region is None and len(digits) > 10:
        text = "+" + digits  # an international number written without its +
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return Caller(None, None, None)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    region = phonenumbers.region_code_for_number(parsed)
    valid = region is not None and phonenumbers.is_valid_number_for_region(parsed, region)
    place = (geocoder.description_for_valid_number(parsed, "en") or None) if valid else None
    if len(e164) == 12 and e164.startswith("+1"):
        if len(_NANP_BLOCKS) >= 200_000:
            _NANP_BLOCKS.clear()
        _NANP_BLOCKS[e164[:8]] = (valid, region if valid else None, place)
    return Caller(e164, region, place) if valid else Caller(None, None, None)


# North American numbers are NPA-NXX-XXXX: validity, country (one of the 25 that share +1,
# the costly part of reading a caller id: libphonenumber tries each) and place are all fixed
# by NPA-NXX, so they are kept per block of 10,000 numbers, and a caller id in a known block
# is read without libphonenumber at all. A test checks this against libphonenumber.
_NANP_BLOCKS: dict[str, tuple[bool, str | None, str | None]] = {}


def _nanp_e164(text: str, digits: str, default_region: str | None) -> str | None:
    """The +1 number a plainly written NANP caller id is, or None when it is not that simple."""
    if any(map(str.isalpha, text)):
        return None
    if text.startswith("+"):
        return "+" + digits if len(digits) == 11 and digits[0] == "1" else None
    if default_region not in NANP_REGIONS:
        return None
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits[0] == "1":
        return "+" + digits
    return None


def region_of(e164: str | None) -> str | None:
    """The region code of a number, used to read national-format numbers next to it."""
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
