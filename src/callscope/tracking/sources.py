"""Source detection: from a landing URL and referrer to a source and a channel.

An account's own sources are tried first: each has rules (utm_source, utm_medium,
referrer_domain, click_id), a rule matches when every key it sets matches, and the most
specific matching rule wins (most keys; ties go to the older source). With no match, the
visit still gets a channel from a default grouping close to GA4's: paid click ids and paid
mediums, search engines, social networks, email, other referrers, or direct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# In order of preference when a URL carries several.
CLICK_IDS = ("gclid", "gbraid", "wbraid", "msclkid", "fbclid", "yclid", "ttclid", "li_fat_id")
PAID_SEARCH_CLICK_IDS = {"gclid", "gbraid", "wbraid", "msclkid", "yclid"}
PAID_SOCIAL_CLICK_IDS = {"ttclid", "li_fat_id"}
PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "paid_search", "cpm", "cpv", "cpa"}
SOCIAL_MEDIUMS = {"social", "social-network", "social-media", "sm", "social network"}
SEARCH_ENGINES = (
    "google.",
    "bing.",
    "yahoo.",
    "yandex.",
    "duckduckgo.",
    "baidu.",
    "ecosia.",
    "search.brave.",
    "ask.",
    "naver.",
    "seznam.",
)
SOCIAL_SITES = (
    "facebook.",
    "fb.",
    "instagram.",
    "t.co",
    "twitter.",
    "x.com",
    "linkedin.",
    "lnkd.in",
    "pinterest.",
    "reddit.",
    "tiktok.",
    "youtube.",
    "vk.com",
    "ok.ru",
    "threads.net",
    "whatsapp.",
    "telegram.",
    "t.me",
)
MAX_PARAM_CHARS = 200


@dataclass(frozen=True)
class Visit:
    """What the landing page tells about where the visitor came from."""

    utm: dict[str, str] = field(default_factory=dict)
    click_id_kind: str | None = None
    click_id: str | None = None
    referrer: str | None = None
    referrer_domain: str | None = None
    host: str | None = None

    @property
    def campaign_key(self) -> str:
        parts = [self.utm.get(k, "") for k in UTM_KEYS] + [self.click_id or ""]
        return "|".join(parts)


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().removeprefix("www.") if host else None


def parse_visit(url: str, referrer: str | None) -> Visit:
    try:
        query = urlsplit(url).query
    except ValueError:
        query = ""
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        key = key.lower()
        if key not in params and value:
            params[key] = value[:MAX_PARAM_CHARS]
    utm = {
        k: params[k].lower() if k in ("utm_source", "utm_medium") else params[k]
        for k in UTM_KEYS
        if k in params
    }
    kind = next((k for k in CLICK_IDS if k in params), None)
    host = host_of(url)
    ref_domain = host_of(referrer)
    if ref_domain is not None and host is not None and ref_domain == host:
        ref_domain = None  # moving within the site is not a referral
    return Visit(
        utm=utm,
        click_id_kind=kind,
        click_id=params[kind] if kind else None,
        referrer=referrer if ref_domain else None,
        referrer_domain=ref_domain,
        host=host,
    )


@dataclass(frozen=True)
class SourceRules:
    source_id: int
    channel: str
    rules: Sequence[dict[str, Any]]


def _domain_matches(actual: str | None, wanted: str) -> bool:
    if actual is None:
        return False
    wanted = wanted.removeprefix("www.")
    return actual == wanted or actual.endswith("." + wanted)


def _rule_matches(rule: dict[str, Any], visit: Visit) -> bool:
    for key, wanted in rule.items():
        if key in ("utm_source", "utm_medium"):
            if visit.utm.get(key) != str(wanted).lower():
                return False
        elif key == "referrer_domain":
            if not _domain_matches(visit.referrer_domain, str(wanted)):
                return False
        elif key == "click_id":
            if visit.click_id_kind != wanted:
                return False
        else:
            return False  # an unknown key never matches: fail closed
    return bool(rule)


def match_source(visit: Visit, sources: Sequence[SourceRules]) -> SourceRules | None:
    best: tuple[int, SourceRules] | None = None
    for source in sources:
        for rule in source.rules:
            if _rule_matches(rule, visit) and (best is None or len(rule) > best[0]):
                best = (len(rule), source)
    return best[1] if best else None


def default_channel(visit: Visit) -> str:
    medium = visit.utm.get("utm_medium", "")
    ref = visit.referrer_domain or ""
    source = visit.utm.get("utm_source", "")
    from_search = any(ref.startswith(e) or f".{e}" in ref for e in SEARCH_ENGINES)
    from_social = any(ref.startswith(s) or f".{s}" in ref for s in SOCIAL_SITES) or any(
        source.startswith(s.rstrip("."))
        for s in ("facebook", "instagram", "tiktok", "linkedin", "vk")
    )
    if visit.click_id_kind in PAID_SEARCH_CLICK_IDS:
        return "paid_search"
    if visit.click_id_kind in PAID_SOCIAL_CLICK_IDS or (medium in PAID_MEDIUMS and from_social):
        return "paid_social"
    if medium in PAID_MEDIUMS:
        return "paid_search" if from_search or not from_social else "paid_social"
    if medium in {"display", "banner", "cpm_display"}:
        return "display"
    if medium in {"email", "e-mail", "newsletter"}:
        return "email"
    if medium in {"sms", "text"}:
        return "sms"
    if medium in {"affiliate", "partner"}:
        return "affiliate"
    if medium in SOCIAL_MEDIUMS or visit.click_id_kind == "fbclid" or from_social:
        return "organic_social"
    if medium == "organic" or from_search:
        return "organic_search"
    if medium == "referral" or ref:
        return "referral"
    if visit.utm:
        return "other"
    return "direct"
