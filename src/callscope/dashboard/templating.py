"""The Jinja2 environment: autoescaped templates, and filters that show times in the
account's timezone and numbers the way people read them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

templates = Jinja2Templates(directory=HERE / "templates")


def local_time(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def duration(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def phone(value: str | None) -> str:
    if not value:
        return "unknown"
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


env = templates.env
env.filters["local"] = local_time
env.filters["duration"] = duration
env.filters["phone"] = phone
env.filters["percent"] = percent
