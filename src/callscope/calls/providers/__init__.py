"""Provider adapters: each turns its own raw event payload into `Facts`.

An adapter is a module with `normalize(payload, received_at) -> Facts`; nothing else in
callscope knows a provider's field names. The raw payload is what is stored, so a fixed
adapter can re-read old events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from callscope.calls.facts import Facts
from callscope.calls.providers import asterisk, demo, generic, twilio

Normalizer = Callable[[dict[str, Any], datetime], Facts]

NORMALIZERS: dict[str, Normalizer] = {
    "twilio": twilio.normalize,
    "generic": generic.normalize,
    "asterisk": asterisk.normalize,
    "demo": demo.normalize,
}
