"""The built-in outcome taxonomy (DESIGN.md). Keys are part of the API and never change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinCategory:
    key: str
    name: str
    description: str
    is_lead: bool


BUILTIN_CATEGORIES: tuple[BuiltinCategory, ...] = (
    BuiltinCategory("sale", "Sale", "The caller buys, orders or pays during the call.", True),
    BuiltinCategory(
        "appointment",
        "Appointment",
        "A visit, viewing, test drive, consultation or survey is booked for a time.",
        True,
    ),
    BuiltinCategory(
        "quote",
        "Quote",
        "A concrete price or estimate is given; the caller does not commit on the call.",
        True,
    ),
    BuiltinCategory(
        "inquiry",
        "Inquiry",
        "A prospective customer asks about products, services, availability or hours; "
        "no quote, no commitment.",
        True,
    ),
    BuiltinCategory(
        "customer_service",
        "Customer service",
        "An existing customer about an existing order or account: status, complaint, refund, "
        "billing, support, rescheduling.",
        False,
    ),
    BuiltinCategory(
        "solicitation",
        "Solicitation",
        "Someone selling to the business (vendors, agencies), job seekers, recruiters.",
        False,
    ),
    BuiltinCategory("spam", "Spam", "Robocalls, recorded messages, silence, pranks, scams.", False),
    BuiltinCategory("wrong_number", "Wrong number", "The caller meant someone else.", False),
    BuiltinCategory(
        "voicemail", "Voicemail", "The call reached voicemail or an answering machine.", False
    ),
)

BUILTIN_KEYS = frozenset(c.key for c in BUILTIN_CATEGORIES)
