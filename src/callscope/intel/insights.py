"""What a call says beyond its category: topics, key phrases, lost reason, how the caller
heard of the business, and the lead score with its reasons.

These are rules, on purpose, and they are honest about it: each topic, lost reason and
"heard from" answer is a phrase list per language (English, German, Russian) matched on the
caller's side of the call (both sides for topics), and the match is returned with the words
it matched, so a report can show why. A phrase list misses what it does not list; the
held-out corpus measures how much (bench/intel_eval.py). The lead score is an additive model
whose every term is returned as a factor, so a user sees why a call scored 82.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from callscope.intel.text import Document, content_words, words

LEADS = frozenset({"sale", "appointment", "quote", "inquiry"})


def _rx(*patterns: str) -> re.Pattern[str]:
    """One pattern for many phrases, matched on lowercased text.

    Phrases that start at a word boundary share one `\\b`, which lets the engine skip the
    middle of words; with no IGNORECASE either, the lists run about eight times faster.
    """
    bounded = [p.lower()[2:] for p in patterns if p.startswith(r"\b")]
    rest = [f"(?:{p.lower()})" for p in patterns if not p.startswith(r"\b")]
    parts = ([r"\b(?:" + "|".join(bounded) + ")"] if bounded else []) + rest
    return re.compile("|".join(parts))


TOPICS: dict[str, re.Pattern[str]] = {
    "price": _rx(
        r"\bhow much\b",
        r"\bprice",
        r"\bcost",
        r"\bquote\b",
        r"\bestimate",
        r"\brates?\b",
        r"\bcharge",
        r"\bfee\b",
        r"\bdollars?\b",
        r"\beuros?\b",
        r"\bpounds\b",
        r"\bpreis",
        r"\bkoste",
        r"\bwas kostet",
        r"\bangebot",
        r"\bkostenvoranschlag",
        r"\beuro\b",
        r"цен[аыуе]",
        r"стоимост",
        r"сколько стоит",
        r"прайс",
        r"\bрубл",
        r"\bтысяч",
    ),
    "availability": _rx(
        r"\bavailab",
        r"\bin stock\b",
        r"\bopenings?\b",
        r"\bslots?\b",
        r"\btoday\b",
        r"\btomorrow\b",
        r"\basap\b",
        r"\bhow soon\b",
        r"\bfrei\b",
        r"\bverfügbar",
        r"\btermin",
        r"\bheute\b",
        r"\bmorgen\b",
        r"\bauf lager",
        r"в наличии",
        r"свободн",
        r"\bсегодня\b",
        r"\bзавтра\b",
        r"\bзапис",
    ),
    "location": _rx(
        r"\baddress\b",
        r"\bwhere are you\b",
        r"\blocated\b",
        r"\barea\b",
        r"\bnear\b",
        r"\bdirections\b",
        r"\bparking\b",
        r"\badresse\b",
        r"\bwo sind sie\b",
        r"\bin der nähe\b",
        r"\bgegend\b",
        r"\banfahrt",
        r"\bадрес",
        r"где вы находитесь",
        r"\bрайон",
        r"\bрядом\b",
        r"\bпарковк",
    ),
    "hours": _rx(
        r"\bopen\b",
        r"\bhours\b",
        r"\bclose[ds]?\b",
        r"\bweekend",
        r"\bsaturday\b",
        r"\bsunday\b",
        r"\böffnungszeit",
        r"\bgeöffnet\b",
        r"\bwochenende",
        r"\bsamstag",
        r"\bsonntag",
        r"\bчасы работы\b",
        r"\bработаете\b",
        r"\bвыходн",
        r"\bсуббот",
        r"\bвоскресен",
    ),
    "competitor": _rx(
        r"\banother compan",
        r"\bother compan",
        r"\bcompetitor",
        r"\bsomeone else\b",
        r"\bcheaper\b",
        r"\bother quotes?\b",
        r"\bandere firma",
        r"\banderen firma",
        r"\bkonkurrenz",
        r"\bgünstiger\b",
        r"\bwoanders\b",
        r"в другой (?:компании|фирме)",
        r"\bконкурент",
        r"\bдешевле\b",
    ),
    "emergency": _rx(
        r"\bemergenc",
        r"\burgent",
        r"\bright now\b",
        r"\bflood",
        r"\bleak",
        r"\bburst\b",
        r"\bnotfall",
        r"\bdringend",
        r"\bsofort\b",
        r"\brohrbruch",
        r"\bсрочно",
        r"\bавари",
        r"\bпрорвал",
        r"\bтеч[ьёе]",
        r"\bзатопил",
    ),
    "payment": _rx(
        r"\bcard\b",
        r"\bpay\b",
        r"\bpayment",
        r"\binvoice",
        r"\bfinanc",
        r"\bbill\b",
        r"\brechnung",
        r"\bbezahl",
        r"\bzahl",
        r"\bkarte\b",
        r"\bratenzahlung",
        r"\bоплат",
        r"\bкарт[ао]й?\b",
        r"\bсчёт\b",
        r"\bсчет\b",
        r"\bрассрочк",
        r"\bкредит",
    ),
}

LOST_REASONS: dict[str, re.Pattern[str]] = {
    "price": _rx(
        r"\bway too much\b",
        r"\bthat'?s ridiculous\b",
        r"\bno way,? we can'?t\b",
        r"\bi was (?:thinking|expecting|hoping)(?: like| more like)? (?:about |around )?(?:\w+ )?(?:hundred|thousand|\d)",
        r"\balmost (?:twice|double)\b",
        r"\bnot in (?:the|my|our) budget\b",
        r"\bso viel\b",
        r"\bwahnsinn\b",
        r"\bich hatte (?:mit|so mit) .{0,25}gerechnet",
        r"\bdas ist (?:mir )?(?:echt |viel )?zu (?:viel|teuer)",
        r"\bnicht in meinem budget",
        r"\bнереально\b",
        r"\bне потянем\b",
        r"\bдороговат",
        r"\bне по деньгам\b",
        r"\bсумма не маленькая\b",
        r"\bкусается\b",
        r"\btoo (?:expensive|much|pricey|steep|high)\b",
        r"\bout of (?:my|our) (?:budget|price)",
        r"\bcan'?t afford\b",
        r"\bmore than i (?:wanted|expected|thought)",
        r"\bthat'?s a lot\b",
        r"\bzu teuer\b",
        r"\bzu viel\b",
        r"\bzu hoch\b",
        r"\bnicht leisten\b",
        r"\bübersteigt\b",
        r"\bслишком дорого",
        r"\bдороговато",
        r"\bдорого\b",
        r"\bне по карману",
        r"\bне потянем",
        r"\bне потяну",
    ),
    "availability": _rx(
        r"\balready (?:gone|rented|sold|taken|let)\b",
        r"\bnot taking (?:new|any more)\b",
        r"\bcan'?t wait (?:till|until|that long)\b",
        r"\bnothing (?:this|until next) week\b",
        r"\baufnahmestopp\b",
        r"\bkeine neuen (?:patienten|kunden|mandanten)\b",
        r"\bschon (?:weg|verkauft|vermietet|vergeben)\b",
        r"\bso lange (?:kann|will) ich nicht warten",
        r"\bуже (?:продан|продали|сдали|сдана|сдан|заняли|нет)\b",
        r"\bне принимаем\b",
        r"\bне можем ждать\b",
        r"\bтак долго ждать\b",
        r"\bне работаем с\b",
        r"\bfully booked\b",
        r"\bno (?:openings|availability|slots)\b",
        r"\bout of stock\b",
        r"\bnot (?:available|in stock)\b",
        r"\bcan'?t (?:do|fit|get) (?:it|you|that|anything)",
        r"\bnothing (?:until|before|available)\b",
        r"\bwait (?:that|so) long\b",
        r"\bausgebucht\b",
        r"\bnicht (?:vorrätig|verfügbar|auf lager)",
        r"\bkein(?:en)? termin",
        r"\berst (?:in|ab|im|nächste)",
        r"\bnichts frei\b",
        r"\bзанято\b",
        r"\bнет (?:в наличии|свободн|мест|окон)",
        r"\bне сможем\b",
        r"\bзапись только на\b",
        r"\bтолько через\b",
    ),
    "location": _rx(
        r"\b(?:is|that'?s) (?:a bit |way )?too far\b",
        r"\boutside (?:of )?(?:our|your) (?:service )?area\b",
        r"\bwe (?:don'?t|do not) (?:go|come|deliver|drive) (?:out )?(?:to|there|that far)\b",
        r"\baußerhalb (?:unseres|ihres) (?:gebiets|liefergebiets|einzugsgebiets)",
        r"\bliefern (?:wir )?(?:leider )?nicht (?:nach|bis)\b",
        r"\bне (?:выезжаем|доставляем|ездим) (?:в|туда|за)\b",
        r"\bдалеко (?:от|для) (?:нас|меня)\b",
        r"\btoo far\b",
        r"\b(?:don'?t|do not) (?:serve|service|cover|come out)",
        r"\bout(?:side)? (?:of )?(?:your|the) (?:service )?area\b",
        r"\bzu weit\b",
        r"\b(?:fahren|kommen) (?:nicht|leider nicht) (?:nach|bis|so weit)",
        r"\bnicht in (?:unserem|ihrem) (?:gebiet|einzugsgebiet)",
        r"\bслишком далеко",
        r"\bдалековато",
        r"\bне выезжаем\b",
        r"\bне обслуживаем\b",
        r"\bне работаете (?:в|у)\b",
    ),
    "went_elsewhere": _rx(
        r"\b(?:call|try|ring) (?:somebody|someone|somewhere) else\b",
        r"\bgo(?:ing)? with (?:them|the broker|the other|another|someone|somebody)\b",
        r"\b(?:we|i) (?:already )?told them yes\b",
        r"\bgot (?:a|another) (?:cheaper )?quote from\b",
        r"\bdann (?:rufe|ruf) ich (?:woanders|jemand anderen|eine andere)",
        r"\bnehme(?:n)? (?:wir|ich) (?:lieber )?(?:die|den|das) (?:andere|anderen)",
        r"\bпозвоню (?:в другое место|другим|в другую)",
        r"\bв другую (?:компанию|фирму|клинику)\b",
        r"\bк другим\b",
        r"\bуже договорил(?:ись|ся|ась) с\b",
        r"\b(?:went|go|going|gone) with (?:another|someone|a different|the other)",
        r"\bfound someone else\b",
        r"\bhired someone\b",
        r"\balready (?:booked|hired|found)",
        r"\b(?:another|other) compan(?:y|ies) (?:is|are|was|already|will)",
        r"\banderen? (?:firma|anbieter|betrieb|werkstatt)",
        r"\bwoanders\b",
        r"\bschon jemand(?:en)?\b",
        r"\bbereits (?:einen|eine|jemand)",
        r"в другой (?:компании|фирме|сервис)",
        r"\bуже нашли\b",
        r"\bнашли другого\b",
        r"\bобратимся в другое\b",
        r"\bу других\b",
    ),
    "no_answer": _rx(
        r"\bno ?one (?:called|got) back\b",
        r"\bnobody (?:called|got|picks|answered)",
        r"\bnever (?:called|heard) back\b",
        r"\bcouldn'?t (?:get through|reach)",
        r"\bno one (?:answers|picks up|answered)\b",
        r"\bkeiner (?:zurückgerufen|ran|erreichbar)",
        r"\bniemand (?:zurückgerufen|erreicht|ran|geht)",
        r"\bnicht erreicht\b",
        r"\bnie zurückgerufen\b",
        r"\bникто не (?:перезвонил|ответил|берёт|берет)",
        r"\bне дозвонил",
        r"\bне перезвонил",
    ),
}

HEARD_FROM: dict[str, re.Pattern[str]] = {
    "vehicle": _rx(
        r"\b(?:saw |seen |spotted |noticed )?your (?:van|truck|vans|trucks|vehicle|car)\b",
        r"\bon (?:the|a|your) (?:van|truck)\b",
        r"\bihre[nm]? (?:wagen|transporter|auto|fahrzeug|bus)",
        r"\bauf (?:dem|ihrem) (?:wagen|transporter|auto)",
        r"\bна (?:вашей|вашем) (?:машин|газел|фургон|авто)",
        r"\bна машине\b",
    ),
    "maps": _rx(
        r"\bgoogle maps\b",
        r"\bon (?:the )?maps?\b",
        r"\bapple maps\b",
        r"\bgoogle karten\b",
        r"\bauf der karte\b",
        r"\bяндекс[ -]?карт",
        r"\bна карт",
        r"\b2 ?гис",
        r"\bдубльгис",
    ),
    "search": _rx(
        r"\bgoogled\b",
        r"\b(?:on|through|via|from|in) google\b",
        r"\bsearch(?:ed|ing)? (?:online|for|on)",
        r"\bbing\b",
        r"\bgegoogelt\b",
        r"\bbei google\b",
        r"\büber google\b",
        r"\bim internet gesucht",
        r"\bв (?:гугл|google|яндекс|интернет)",
        r"\bпоиск",
    ),
    "social": _rx(
        r"\bfacebook\b",
        r"\binstagram\b",
        r"\btiktok\b",
        r"\btik tok\b",
        r"\bnextdoor\b",
        r"\binsta\b",
        r"\bвконтакте\b",
        r"\bвк\b",
        r"\bинстагр",
        r"\bтелеграм",
        r"\bв соцсет",
    ),
    "referral": _rx(
        r"\b(?:a|my) (?:friend|neighbou?r|colleague|coworker|brother|sister|mum|mom|dad|cousin|boss)\b.{0,40}\b(?:recommend|told|said|gave|referred|used)",
        r"\brecommended (?:you|by)\b",
        r"\breferred\b",
        r"\bword of mouth\b",
        r"\bempfohlen\b",
        r"\bempfehlung\b",
        r"\b(?:ein|mein|meine) (?:freund|freundin|nachbar|nachbarin|kollege|kollegin)",
        r"\bпосоветовал",
        r"\bпорекомендовал",
        r"\bрекомендац",
        r"\b(?:друг|подруга|сосед|соседка|коллега) (?:дал|дала|сказал|сказала|посоветовал)",
    ),
    "print": _rx(
        r"\bflyer\b",
        r"\bleaflet\b",
        r"\bmailer\b",
        r"\bnewspaper\b",
        r"\bmagazine\b",
        r"\bpostcard\b",
        r"\bbrochure\b",
        r"\bflyer\b",
        r"\bzeitung\b",
        r"\bprospekt\b",
        r"\bwurfsendung\b",
        r"\bbriefkasten\b",
        r"\bлистовк",
        r"\bгазет",
        r"\bбуклет",
        r"\bжурнал",
        r"\bв почтовом ящике\b",
    ),
    "outdoor": _rx(
        r"\bbillboard\b",
        r"\byour sign\b",
        r"\bthe sign\b",
        r"\bplakat",
        r"\bschild\b",
        r"\bwerbetafel\b",
        r"\bбилборд",
        r"\bвывеск",
        r"\bрекламный щит",
        r"\bбаннер",
    ),
    "tv_radio": _rx(
        r"\bradio\b",
        r"\bon tv\b",
        r"\btelevision\b",
        r"\bcommercial\b",
        r"\bim radio\b",
        r"\bim fernsehen\b",
        r"\bwerbung im\b",
        r"\bпо радио\b",
        r"\bпо телевизору\b",
        r"\bпо тв\b",
    ),
    "directory": _rx(
        r"\byelp\b",
        r"\byellow pages\b",
        r"\bangi\b",
        r"\bangie'?s list\b",
        r"\bcheckatrade\b",
        r"\bthumbtack\b",
        r"\btrustpilot\b",
        r"\bgelbe(?:n)? seiten\b",
        r"\bdas örtliche\b",
        r"\bmyhammer\b",
        r"\bmy hammer\b",
        r"\bauf avito\b",
        r"\bавито\b",
        r"\bпрофи\.?ру\b",
        r"\bюду\b",
        r"\bотзовик",
    ),
    "website": _rx(
        r"\byour (?:website|site|web ?page)\b",
        r"\bon (?:the|your) (?:website|site)\b",
        r"\bihre[rn]? (?:webseite|website|homepage|internetseite)\b",
        r"\bauf (?:der|ihrer) (?:webseite|website|homepage)",
        r"\bна (?:вашем )?сайте\b",
        r"\bс (?:вашего )?сайта\b",
    ),
    "repeat": _rx(
        r"\bused you (?:before|last)",
        r"\byou (?:did|fixed|came|were here|helped)\b.{0,30}\b(?:before|last (?:year|time|month))",
        r"\bwe'?ve used you\b",
        r"\bi'?ve used you\b",
        r"\bcustomer (?:of yours|before)\b",
        r"\bschon mal bei (?:ihnen|euch)\b",
        r"\bletztes jahr (?:bei ihnen|waren sie)",
        r"\bschon (?:einmal|mal) (?:da|hier|gemacht)",
        r"\bуже обращал",
        r"\bв прошлый раз\b",
        r"\bв прошлом году вы\b",
    ),
}
# When several match, the more specific wins ("Google Maps" before "Google").
HEARD_ORDER = tuple(HEARD_FROM)

INTENT = _rx(
    r"\bhow soon\b",
    r"\bcan you come\b",
    r"\bi'?d like to (?:book|order|buy|schedule)",
    r"\bi want to (?:book|order|buy)",
    r"\bwhat'?s the earliest\b",
    r"\bwann können sie\b",
    r"\bich (?:möchte|würde gern|hätte gern)",
    r"\bich brauche\b",
    r"\bкогда (?:сможете|можете)",
    r"\bхочу (?:заказать|записаться|купить)",
    r"\bмне нужн",
    r"\bкак можно скорее\b",
)
FIRST_NAME_OR_ADDRESS = _rx(
    r"\bmy name is\b",
    r"\bmy address\b",
    r"\bi live (?:at|on)\b",
    r"\bmein name ist\b",
    r"\bich heiße\b",
    r"\bich wohne\b",
    r"\bменя зовут\b",
    r"\bмой адрес\b",
    r"\bя живу\b",
)


@dataclass(frozen=True)
class Factor:
    factor: str
    points: int


@dataclass
class Insights:
    topics: list[str]
    key_phrases: list[str]
    lost_reason: str | None
    lost_phrase: str | None
    heard_from: str | None
    heard_phrase: str | None
    lead_score: int
    lead_factors: list[Factor] = field(default_factory=list)


def topics(document: Document) -> list[str]:
    text = document.text.lower()
    return [name for name, rx in TOPICS.items() if rx.search(text)]


def lost_reason(document: Document, category: str) -> tuple[str | None, str | None]:
    """Why a prospect will not buy, when the call says so; only for leads not won on the call."""
    if category not in LEADS - {"sale"}:
        return None, None
    text = (document.caller_text or document.text).lower()
    for name, rx in LOST_REASONS.items():
        match = rx.search(text)
        if match:
            return name, match.group(0)
    if category == "appointment":
        return None, None
    agent = document.agent_text.lower()
    for name in ("availability", "location"):  # "we are fully booked" is said by the agent
        match = LOST_REASONS[name].search(agent)
        if match:
            return name, match.group(0)
    return None, None


def heard_from(document: Document) -> tuple[str | None, str | None]:
    text = (document.caller_text or document.text).lower()
    best: tuple[int, str, str] | None = None
    for name in HEARD_ORDER:
        match = HEARD_FROM[name].search(text)
        if match and (best is None or HEARD_ORDER.index(name) < HEARD_ORDER.index(best[1])):
            best = (match.start(), name, match.group(0))
    return (best[1], best[2]) if best else (None, None)


def key_phrases(
    document: Document, idf: Mapping[str, float], top: float, limit: int = 5
) -> list[str]:
    """The caller's most telling words and two-word phrases, by TF-IDF against the corpus;
    `top` is the weight of a word the corpus never saw (its highest)."""
    text = document.caller_text or document.text
    tokens = words(text)
    language = document.language
    stop = set(tokens) - set(content_words(tokens, language))
    scores: dict[str, float] = {}
    for i, w in enumerate(tokens):
        if w in stop or len(w) < 3 or w.isdigit():
            continue
        scores[w] = scores.get(w, 0.0) + idf.get(w, top)
        if i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt not in stop and len(nxt) >= 3 and not nxt.isdigit():
                pair = f"{w} {nxt}"
                scores[pair] = scores.get(pair, 0.0) + 0.6 * (idf.get(w, top) + idf.get(nxt, top))
    chosen: list[str] = []
    for phrase, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        if any(phrase in c or c in phrase for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == limit:
            break
    return chosen


BASE_POINTS = {
    "sale": 85,
    "appointment": 75,
    "quote": 60,
    "inquiry": 45,
    "voicemail": 20,
    "customer_service": 10,
    "wrong_number": 0,
    "solicitation": 0,
    "spam": 0,
}


def lead_score(
    document: Document,
    category: str,
    is_lead: bool,
    sentiment: str,
    talk_seconds: int | None,
    first_time: bool | None,
    lost: str | None,
) -> tuple[int, list[Factor]]:
    """0-100 and the terms that made it, largest first."""
    base = BASE_POINTS.get(category, 50 if is_lead else 10)
    factors = [Factor(f"category {category}", base)]
    prospect = is_lead or category == "voicemail"
    if prospect:
        if talk_seconds is not None:
            if talk_seconds >= 120:
                factors.append(Factor("talked 2 minutes or more", 8))
            elif talk_seconds >= 45:
                factors.append(Factor("talked 45 seconds or more", 4))
            elif talk_seconds < 20:
                factors.append(Factor("talked under 20 seconds", -10))
        if first_time is True:
            factors.append(Factor("first-time caller", 5))
        elif first_time is False:
            factors.append(Factor("repeat caller", -3))
        caller = document.caller_text.lower()
        if INTENT.search(caller):
            factors.append(Factor("asked to buy or book", 6))
        if FIRST_NAME_OR_ADDRESS.search(caller):
            factors.append(Factor("gave a name or address", 4))
        if TOPICS["price"].search(document.text.lower()):
            factors.append(Factor("talked about price", 3))
        if lost is not None:
            factors.append(Factor(f"lost: {lost.replace('_', ' ')}", -25))
        if sentiment == "positive":
            factors.append(Factor("caller positive", 3))
        elif sentiment == "negative":
            factors.append(Factor("caller negative", -5))
    score = max(0, min(100, sum(f.points for f in factors)))
    factors.sort(key=lambda f: -abs(f.points))
    return score, factors
