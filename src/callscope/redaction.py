"""Redact payment cards and personal data from transcripts and notes (PCI DSS, GDPR).

What is found and what replaces it:

| kind | placeholder | found by |
|---|---|---|
| card | `[CARD]` | 13-19 digits, first digit 2-6, Luhn-valid; written, grouped, or spoken |
| cvv | `[CVV]` | 3-4 digits after a security-code word, when the text talks about a card |
| expiry | `[EXPIRY]` | a month and year after an expiry word, when the text talks about a card |
| iban | `[IBAN]` | country code, check digits, 11-30 more; mod-97 valid |
| bank_account | `[BANK_ACCOUNT]` | 6-20 digits after an account-number word |
| email | `[EMAIL]` | written addresses, and spoken ones ("anna dot lee at gmail dot com") |
| phone | `[PHONE]` | only when asked: libphonenumber's matcher, and 10-11 spoken digits |

Numbers are read from digits and from number words in English, German and Russian, the
way Whisper writes dictated numbers: "4242 4242 ...", "4,242, 4,242", "four two four two",
"forty two forty two", "double four", "vier zwei", "zweiundvierzig", "zwo", "четыре два",
"сорок два", "двести". A run of numbers may be broken by fillers (um, äh, ну) and by
punctuation; a card is the longest token-aligned piece of a run that passes the checks,
so "4242 4242 4242 4242 04 27" gives the card and leaves the expiry to its own rule.
Context words are looked for in the whole text, so a question in the agent's turn ("the
security code?") and the answer in the caller's turn ("123") still go together.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

PLACEHOLDERS = {
    "card": "[CARD]",
    "cvv": "[CVV]",
    "expiry": "[EXPIRY]",
    "iban": "[IBAN]",
    "bank_account": "[BANK_ACCOUNT]",
    "email": "[EMAIL]",
    "phone": "[PHONE]",
}
PAYMENT_KINDS = frozenset({"card", "cvv", "expiry"})


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Redacted:
    text: str
    spans: list[Span]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(s.kind for s in self.spans))


# --- number words ------------------------------------------------------------------------
UNITS = {
    **dict.fromkeys(["zero", "oh", "o", "null", "ноль", "нуль"], 0),
    **dict.fromkeys(["one", "eins", "ein", "eine", "один", "одна", "одно"], 1),
    **dict.fromkeys(["two", "zwei", "zwo", "два", "две"], 2),
    **dict.fromkeys(["three", "drei", "три"], 3),
    **dict.fromkeys(["four", "vier", "четыре"], 4),
    **dict.fromkeys(["five", "fünf", "fuenf", "пять"], 5),
    **dict.fromkeys(["six", "sechs", "шесть"], 6),
    **dict.fromkeys(["seven", "sieben", "семь"], 7),
    **dict.fromkeys(["eight", "acht", "восемь"], 8),
    **dict.fromkeys(["nine", "neun", "девять"], 9),
}
TEENS = {
    **dict.fromkeys(["ten", "zehn", "десять"], 10),
    **dict.fromkeys(["eleven", "elf", "одиннадцать"], 11),
    **dict.fromkeys(["twelve", "zwölf", "zwoelf", "двенадцать"], 12),
    **dict.fromkeys(["thirteen", "dreizehn", "тринадцать"], 13),
    **dict.fromkeys(["fourteen", "vierzehn", "четырнадцать"], 14),
    **dict.fromkeys(["fifteen", "fünfzehn", "fuenfzehn", "пятнадцать"], 15),
    **dict.fromkeys(["sixteen", "sechzehn", "шестнадцать"], 16),
    **dict.fromkeys(["seventeen", "siebzehn", "семнадцать"], 17),
    **dict.fromkeys(["eighteen", "achtzehn", "восемнадцать"], 18),
    **dict.fromkeys(["nineteen", "neunzehn", "девятнадцать"], 19),
}
TENS = {
    **dict.fromkeys(["twenty", "zwanzig", "двадцать"], 20),
    **dict.fromkeys(["thirty", "dreißig", "dreissig", "тридцать"], 30),
    **dict.fromkeys(["forty", "fourty", "vierzig", "сорок"], 40),
    **dict.fromkeys(["fifty", "fünfzig", "fuenfzig", "пятьдесят"], 50),
    **dict.fromkeys(["sixty", "sechzig", "шестьдесят"], 60),
    **dict.fromkeys(["seventy", "siebzig", "семьдесят"], 70),
    **dict.fromkeys(["eighty", "achtzig", "восемьдесят"], 80),
    **dict.fromkeys(["ninety", "neunzig", "девяносто"], 90),
}
HUNDREDS = {
    "сто": 100,
    "двести": 200,
    "триста": 300,
    "четыреста": 400,
    "пятьсот": 500,
    "шестьсот": 600,
    "семьсот": 700,
    "восемьсот": 800,
    "девятьсот": 900,
    "hundert": 100,
    "einhundert": 100,
}
HUNDRED_WORDS = {"hundred", "hundert"}
REPEATS = {"double": 2, "triple": 3, "doppel": 2, "doppelte": 2}
FILLERS = {  # words a caller says between parts of one number
    *("um", "uh", "uhm", "umm", "er", "erm", "hmm", "mm", "ah", "and", "then", "sorry"),
    *("hang", "on", "wait", "sec", "second", "slash", "dash", "okay", "ok"),
    *("äh", "ähm", "öh", "hm", "und", "dann", "also", "moment", "warten", "sie", "schrägstrich"),
    *("ну", "э", "эм", "ээ", "так", "и", "потом", "ага", "секунду", "секундочку", "сейчас"),
    *("слэш", "дробь"),
}
MAX_FILLERS = 4
_DE_UNIT = "ein|zwei|drei|vier|fünf|fuenf|sechs|sieben|acht|neun"
_DE_TENS = "zwanzig|dreißig|dreissig|vierzig|fünfzig|fuenfzig|sechzig|siebzig|achtzig|neunzig"
DE_COMPOUND = re.compile(rf"^({_DE_UNIT})und({_DE_TENS})$")
DE_HUNDRED = re.compile(rf"^({_DE_UNIT})hundert(.*)$")

TOKEN = re.compile(r"\d+|[^\W\d_]+", re.UNICODE)


@dataclass
class Token:
    start: int
    end: int
    text: str  # lower case
    digits: str | None  # what the token says as digits, None for a plain word
    kind: str  # digits, unit, teen, tens, hundred, hundred_word, repeat, word


def _classify(raw: str) -> tuple[str | None, str]:
    word = raw.lower()
    if word.isdigit():
        return word, "digits"
    if word in UNITS:
        return str(UNITS[word]), "unit"
    if word in TEENS:
        return str(TEENS[word]), "teen"
    if word in TENS:
        return str(TENS[word]), "tens"
    if word in HUNDREDS:
        return str(HUNDREDS[word]), "hundred"
    if word in HUNDRED_WORDS:
        return None, "hundred_word"
    if word in REPEATS:
        return None, "repeat"
    match = DE_COMPOUND.match(word)
    if match:
        unit = UNITS[match.group(1)]
        return str(TENS[match.group(2)] + unit), "teen"  # a finished two-digit number
    match = DE_HUNDRED.match(word)
    if match:
        rest = match.group(2)
        value = UNITS[match.group(1)] * 100
        if rest:
            tail = _classify(rest)[0]
            if tail is None:
                return None, "word"
            value += int(tail)
        return str(value), "digits"
    return None, "word"


def tokenize(text: str) -> list[Token]:
    tokens = []
    for m in TOKEN.finditer(text):
        digits, kind = _classify(m.group())
        tokens.append(Token(m.start(), m.end(), m.group().lower(), digits, kind))
    return tokens


NUMBER_KINDS = {"digits", "unit", "teen", "tens", "hundred", "hundred_word", "repeat"}
JOINER = re.compile(r"^[\s,.\-/–—:;()]*$")  # what may stand between two parts of a number


@dataclass
class Part:
    """One spoken or written number inside a run, as digits, with its first token's index."""

    first: int
    last: int
    digits: str


def _parts(tokens: list[Token], text: str, i: int) -> tuple[list[Part], int]:
    """Read a run of numbers starting at token i; the parts and the index after the run."""
    parts: list[Part] = []
    n = len(tokens)
    pending_repeat = 1
    repeat_at = i
    while i < n:
        tok = tokens[i]
        if tok.kind not in NUMBER_KINDS:
            skip = _fillers(tokens, i) if parts else 0
            if skip:
                i += skip
                continue
            break
        if parts and not (
            JOINER.match(text[tokens[i - 1].end : tok.start]) or tokens[i - 1].text in FILLERS
        ):
            break
        if tok.kind == "repeat":
            pending_repeat = REPEATS[tok.text]
            repeat_at = i
            i += 1
            continue
        if tok.kind == "hundred_word":
            if parts and len(parts[-1].digits) == 1:  # "four hundred"
                parts[-1] = Part(parts[-1].first, i, parts[-1].digits + "00")
                i += 1
                _absorb_tail(parts, tokens, i, text)
                i = parts[-1].last + 1
                continue
            break
        digits = tok.digits or ""
        first = repeat_at if pending_repeat > 1 else i
        last = i
        if (
            tok.kind == "tens"
            and i + 1 < n
            and tokens[i + 1].kind == "unit"
            and tokens[i + 1].digits != "0"  # "seventy oh oh" is 7-0-0, not 70
            and _joined(tokens, i, text)
        ):
            digits = str(int(digits) + int(tokens[i + 1].digits or 0))  # "forty two"
            last = i + 1
        if pending_repeat > 1:
            digits = digits * pending_repeat
            pending_repeat = 1
        parts.append(Part(first, last, digits))
        if tok.kind == "hundred":  # "двести сорок два"
            _absorb_tail(parts, tokens, last + 1, text)
        i = parts[-1].last + 1
    return parts, i


def _absorb_tail(parts: list[Part], tokens: list[Token], i: int, text: str) -> None:
    """'four hundred twelve' and 'двести сорок два' are one number, not '400' '12'."""
    head = parts[-1]
    value = int(head.digits)
    last = head.last
    for allowed in (("tens", "teen"), ("unit",)):
        if i < len(tokens) and tokens[i].kind in allowed and _joined(tokens, i - 1, text):
            value += int(tokens[i].digits or 0)
            last = i
            i += 1
            if tokens[last].kind == "teen":
                break
    parts[-1] = Part(head.first, last, str(value))


def _joined(tokens: list[Token], i: int, text: str) -> bool:
    return i + 1 < len(tokens) and bool(JOINER.match(text[tokens[i].end : tokens[i + 1].start]))


def _fillers(tokens: list[Token], i: int) -> int:
    """How many filler words start at i and are followed by a number (0: none or no number)."""
    k = i
    while k < len(tokens) and k - i < MAX_FILLERS and tokens[k].text in FILLERS:
        k += 1
    if k > i and k < len(tokens) and tokens[k].kind in NUMBER_KINDS - {"hundred_word"}:
        return k - i
    return 0


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn(digits)


# --- context words -------------------------------------------------------------------------
CARD_TALK = re.compile(
    r"\b(card|visa|mastercard|master card|amex|american express|maestro|discover|credit|debit|"
    r"karte|kreditkarte|kartennummer|карт\w*|виза|мир|мастеркард)\b",
    re.I,
)
CVV_WORDS = re.compile(
    r"\b(cvv2?|cvc2?|cv2|cid|security code|security number|(?:three|four)[ -]digits?(?: code)?|"
    r"code on the (?:back|front)|sicherheitscode|prüfziffer|prüfnummer|kartenprüfnummer|"
    r"код безопасности|код на обороте|код с обратной|три цифры|тр[её]х? цифр\w*|"
    r"тр[её]хзначный код|cvv-код|cvc-код)\b",
    re.I,
)
EXPIRY_WORDS = re.compile(
    r"\b(expir\w*|exp|valid (?:thru|through|until)|good (?:thru|through)|gültig bis|"
    r"ablauf\w*|läuft\s+\w*\s*ab|срок действия|срок|действ\w* до|до)\b",
    re.I,
)
ACCOUNT_WORDS = re.compile(
    r"\b(account number|account no|acct|bank account|kontonummer|konto nummer|konto|"
    r"номер сч[её]та|расч[её]тный сч[её]т|лицевой сч[её]т|сч[её]т|сч[её]та)\b",
    re.I,
)
WINDOW = 60  # characters after a context word in which its number must start

# --- IBAN and email ---------------------------------------------------------------------
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
    "LI": 21, "BG": 22, "HR": 21, "HU": 28, "RO": 24, "SK": 24, "SI": 19, "EE": 20, "LV": 21,
    "LT": 20, "GR": 27, "CY": 28, "MT": 31, "UA": 29, "KZ": 20, "TR": 26, "IS": 26,
}  # fmt: skip
IBAN = re.compile(r"\b([A-Za-z]{2} ?\d{2}(?:[ ]?[A-Za-z0-9]){11,30})\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}\b", re.UNICODE)
TLDS = (
    "com|net|org|info|biz|io|co|edu|gov|me|de|at|ch|ru|su|рф|uk|us|ca|fr|it|es|nl|eu|pl|"
    "ua|by|kz|se|no|dk|fi|be|cz|online|shop|pro|app|dev|ру|ком|нет|орг"
)
DOT = r"(?:\s*\.\s*|\s+(?:dot|punkt|точка)\s+)"
SPOKEN_EMAIL = re.compile(
    rf"\b([\w+-]+(?:{DOT}[\w+-]+)*)\s+(?:at|ät|klammeraffe|собака|эт|@)\s+([\w-]+(?:{DOT}[\w-]+)*{DOT}(?:{TLDS}))\b",
    re.I | re.UNICODE,
)
PHONE_REGIONS = ("US", "DE", "RU", "GB")


def _iban_valid(candidate: str) -> bool:
    code = candidate[:2].upper()
    if IBAN_LENGTHS.get(code, -1) != len(candidate) and not (
        code not in IBAN_LENGTHS and code.isalpha() and 15 <= len(candidate) <= 34
    ):
        return False
    moved = (candidate[4:] + candidate[:4]).upper()
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _find_ibans(text: str) -> list[Span]:
    spans = []
    for m in IBAN.finditer(text):
        raw = m.group(1)
        # trim trailing groups until it checks out ("DE89 3704 ... 00 please")
        pieces = raw.split(" ")
        while pieces:
            joined = "".join(pieces)
            if _iban_valid(joined):
                end = m.start(1) + len(" ".join(pieces))
                spans.append(Span(m.start(1), end, "iban"))
                break
            pieces.pop()
    return spans


def _find_emails(text: str) -> list[Span]:
    spans = [Span(m.start(), m.end(), "email") for m in EMAIL.finditer(text)]
    spans += [Span(m.start(), m.end(), "email") for m in SPOKEN_EMAIL.finditer(text)]
    return spans


def _find_numbers(text: str, tokens: list[Token], phones: bool) -> list[Span]:
    spans: list[Span] = []
    runs: list[tuple[list[Part], int, int]] = []  # parts, first token, last token
    i = 0
    while i < len(tokens):
        if tokens[i].kind in NUMBER_KINDS - {"hundred_word"}:
            parts, after = _parts(tokens, text, i)
            if parts:
                runs.append((parts, parts[0].first, parts[-1].last))
                i = max(after, i + 1)
                continue
        i += 1
    for parts, _, _ in runs:
        taken = _cards_in(parts)
        for a, b in taken:
            spans.append(Span(tokens[parts[a].first].start, tokens[parts[b].last].end, "card"))
        if phones:
            spans += _spoken_phones(parts, taken, tokens)
    card_talk = bool(CARD_TALK.search(text)) or bool(spans)
    if card_talk:
        spans += _after_words(text, tokens, runs, CVV_WORDS, "cvv", _cvv_digits)
        spans += _after_words(text, tokens, runs, EXPIRY_WORDS, "expiry", _expiry_digits)
    spans += _after_words(text, tokens, runs, ACCOUNT_WORDS, "bank_account", _account_digits)
    return spans


def _cards_in(parts: list[Part]) -> list[tuple[int, int]]:
    """Token-aligned pieces of a run that are card numbers, longest first, not overlapping."""
    found: list[tuple[int, int]] = []
    a = 0
    while a < len(parts):
        best = None
        digits = ""
        for b in range(a, len(parts)):
            digits += parts[b].digits
            if len(digits) > 19:
                break
            if _is_card(digits):
                best = b
        if best is not None:
            found.append((a, best))
            a = best + 1
        else:
            a += 1
    return found


def _spoken_phones(
    parts: list[Part], taken: list[tuple[int, int]], tokens: list[Token]
) -> list[Span]:
    used = {k for a, b in taken for k in range(a, b + 1)}
    free = [p for k, p in enumerate(parts) if k not in used]
    digits = "".join(p.digits for p in free)
    spoken = any(tokens[p.first].kind != "digits" for p in free)
    if free and spoken and 10 <= len(digits) <= 12:
        return [Span(tokens[free[0].first].start, tokens[free[-1].last].end, "phone")]
    return []


def _cvv_digits(digits: str) -> bool:
    return len(digits) in (3, 4)


def _expiry_digits(digits: str) -> bool:
    if len(digits) not in (3, 4, 6):
        return False
    if len(digits) == 3:
        digits = "0" + digits
    return 1 <= int(digits[:2]) <= 12


def _account_digits(digits: str) -> bool:
    return 6 <= len(digits) <= 20


def _after_words(
    text: str,
    tokens: list[Token],
    runs: list[tuple[list[Part], int, int]],
    words: re.Pattern[str],
    kind: str,
    accept: Callable[[str], bool],
) -> list[Span]:
    spans = []
    starts = [tokens[parts[0].first].start for parts, _, _ in runs]
    for m in words.finditer(text):
        for parts, _first, _last in runs[bisect.bisect_left(starts, m.end()) :]:
            start = tokens[parts[0].first].start
            if start - m.end() > WINDOW:
                break
            # the run's head that makes a number of the right shape ("04 27", "1 2 3")
            digits = ""
            for k, part in enumerate(parts):
                digits += part.digits
                if accept(digits) and (
                    k + 1 == len(parts) or not accept(digits + parts[k + 1].digits)
                ):
                    spans.append(Span(start, tokens[part.last].end, kind))
                    break
            break
    return spans


def _find_phones(text: str) -> list[Span]:
    spans = []
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            if sum(ch.isdigit() for ch in match.raw_string) >= 10:  # not a 9-digit bank code
                spans.append(Span(match.start, match.end, "phone"))
    return spans


PRIORITY = {"iban": 0, "card": 1, "email": 2, "cvv": 3, "expiry": 4, "bank_account": 5, "phone": 6}


def find(text: str, phones: bool = False) -> list[Span]:
    """Every sensitive span, without overlaps (a card beats a phone on the same digits)."""
    tokens = tokenize(text)
    spans = _find_ibans(text) + _find_emails(text) + _find_numbers(text, tokens, phones)
    if phones:
        spans += _find_phones(text)
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (PRIORITY[s.kind], s.start, -(s.end - s.start))):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def redact(text: str, phones: bool = False) -> Redacted:
    spans = find(text, phones)
    out = text
    for span in reversed(spans):
        out = out[: span.start] + PLACEHOLDERS[span.kind] + out[span.end :]
    return Redacted(out, spans)
