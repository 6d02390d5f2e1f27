"""What the demo's callers and agents say: one script per call, picked by seeded random.

A script is a list of (speaker, words) lines in the shape speech recognition gives
(lowercase fillers, numbers as words or digits). What a call is *about* is chosen here from
the source's mix (Google Ads brings more bookings, Facebook more questions, the Google
Business Profile number more vendors and robocalls); what it is *filed as* is left to the
real model (demo_transcripts.py). Nothing here is a category label. Payment cards are read
out digit by digit as callers do, and the real redaction removes them before storing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from callscope.demo_words import (
    AREAS,
    FIRST,
    HEARD,
    KINDS,
    LAST,
    MIX,
    OTHER_HEARD,
    OTHER_MIX,
    PITCHES,
    PROBLEMS,
    QUESTIONS,
    ROBOCALLS,
    SLOTS,
    STREETS,
    WRONG_NUMBERS,
)

Line = tuple[str, str]  # speaker ("agent", "caller"), words
WORDS_PER_SECOND = 2.6  # unhurried phone speech
TURN_GAP = 0.8  # seconds between one speaker stopping and the other starting

ONES = (
    "",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spoken(n: int) -> str:
    """A whole number under ten thousand in words, the way people say prices."""
    if n < 20:
        return ONES[n] or "zero"
    if n < 100:
        return TENS[n // 10] + (f" {ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        return f"{ONES[n // 100]} hundred" + (f" and {spoken(n % 100)}" if n % 100 else "")
    if n % 1000 == 0:
        return f"{spoken(n // 1000)} thousand"
    if n < 10_000 and n % 100 == 0:
        return f"{spoken(n // 100)} hundred"
    return f"{spoken(n // 1000)} thousand {spoken(n % 1000)}"


def card_number(rng: random.Random) -> str:
    """A Luhn-valid Visa-shaped number: made up, so a redaction miss would leak nothing."""
    digits = [4, *(rng.randrange(10) for _ in range(14))]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    return " ".join("".join(map(str, digits[i : i + 4])) for i in range(0, 16, 4))


class Caller:
    """One call's people, place, problem and price."""

    def __init__(self, rng: random.Random, source: str, agent: str) -> None:
        self.rng = rng
        self.agent = agent
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        self.address = f"{rng.randint(100, 12999)} {rng.choice(STREETS)}"
        self.area = rng.choice(AREAS)
        self.problem = rng.choice(PROBLEMS)
        self.issue = rng.choice(self.problem.say)
        self.price = round(rng.randint(self.problem.low, self.problem.high), -1) - 1
        self.slot = rng.choice(SLOTS)
        answers = HEARD.get(source, OTHER_HEARD)
        self.heard = rng.choice(answers if rng.random() < 0.8 else OTHER_HEARD)
        self.source = source

    def money(self, amount: int | None = None) -> str:
        amount = self.price if amount is None else amount
        return f"${amount}" if self.rng.random() < 0.5 else f"{spoken(amount)} dollars"

    def filler(self) -> str:
        return self.rng.choice(("", "um, ", "uh, ", "yeah, ", "so, ", "okay, "))

    def greeting(self) -> Line:
        return (
            "agent",
            self.rng.choice(
                (
                    f"Rapid Rooter Plumbing, this is {self.agent}, how can I help you?",
                    f"thanks for calling Rapid Rooter, {self.agent} speaking",
                    f"Rapid Rooter Plumbing, {self.agent} speaking, what can I do for you today?",
                )
            ),
        )

    def heard_lines(self) -> list[Line]:
        if self.rng.random() < 0.45:
            return [
                ("agent", "and how did you hear about us?"),
                ("caller", f"{self.filler()}{self.heard}"),
            ]
        return []

    def opening(self) -> list[Line]:
        lines = [self.greeting(), ("caller", f"hi, {self.filler()}{self.issue}")]
        if self.rng.random() < 0.3:
            lines.append(("caller", f"{self.heard}, that's why i'm calling you guys"))
        return lines

    def diagnose(self) -> list[Line]:
        asked = self.rng.sample(self.problem.questions, self.rng.randint(1, 2))
        return [
            line for q, a in asked for line in (("agent", q), ("caller", f"{self.filler()}{a}"))
        ]

    def take_details(self) -> list[Line]:
        return [
            ("agent", "okay, can i get your name and the address?"),
            (
                "caller",
                f"yeah, it's {self.first} {self.last}, {self.address}, that's in {self.area}",
            ),
            ("agent", "and is the number you're calling from the best one to reach you?"),
            ("caller", self.rng.choice(("yes, that's my cell", "yep", "yes it is"))),
        ]


def book(c: Caller) -> list[Line]:
    fee = c.rng.choice((59, 79, 89))
    fee_lines: list[Line] = [
        (
            "agent",
            f"great, there's a {c.money(fee)} service call fee and it's waived if we do the work",
        ),
        ("caller", "that's fine"),
    ]
    lines = [
        *c.opening(),
        ("agent", "oh no, okay, we can definitely help with that"),
        *c.diagnose(),
        (
            "agent",
            f"alright, let me check the schedule. {c.filler()}i can get a technician out {c.slot}, does that work?",
        ),
        (
            "caller",
            c.rng.choice(
                (
                    "yes, that works, please book it",
                    "perfect, let's do that",
                    "the sooner the better, yes",
                )
            ),
        ),
        *c.take_details(),
        *(fee_lines if c.rng.random() < 0.4 else []),
        *c.heard_lines(),
        (
            "agent",
            f"alright {c.first}, you're booked for {c.slot}, the tech will text you when he's on the way",
        ),
        ("caller", "thank you so much"),
    ]
    return lines


def pay(c: Caller) -> list[Line]:
    card = card_number(c.rng)
    plan = c.rng.random() < 0.4
    what = "the annual maintenance plan" if plan else f"the {c.problem.job}"
    amount = c.rng.choice((149, 199)) if plan else c.price
    return [
        c.greeting(),
        (
            "caller",
            f"hi, {c.filler()}this is {c.first} {c.last}, your tech came out yesterday and gave us the estimate for {what}, we want to go ahead and pay for it now",
        ),
        (
            "agent",
            f"sure, let me pull that up. okay, {what}, that comes to {c.money(amount)}. would you like to pay by card?",
        ),
        ("caller", "yes, a visa"),
        ("agent", "go ahead with the card number whenever you're ready"),
        ("caller", f"okay, it's {card}"),
        ("agent", "and the expiration date?"),
        ("caller", f"expiration {c.rng.randint(1, 12):02d} {c.rng.randint(27, 31)}"),
        ("agent", "and the security code on the back?"),
        ("caller", f"security code {c.rng.randint(100, 999)}"),
        (
            "agent",
            f"alright, that went through, you're all paid up. i'll email you the receipt, and we'll see you {c.slot}",
        ),
        ("caller", "great, thank you"),
    ]


def price(c: Caller) -> list[Line]:
    lines = [
        *c.opening(),
        *c.diagnose(),
        ("caller", "how much would something like that cost?"),
        (
            "agent",
            f"{c.filler()}for {c.problem.job} you're usually looking at about {c.money()}, that's parts and labor",
        ),
    ]
    ending = c.rng.random()
    if ending < 0.3:
        lines += [
            (
                "caller",
                c.rng.choice(
                    (
                        "hmm, that's a lot",
                        "wow, that's way too much, i was hoping more like half that",
                    )
                ),
            ),
            ("agent", "i understand, we do have financing if that helps"),
        ]
    elif ending < 0.45:
        lines += [
            ("caller", "okay, i already got a quote from another company, i'm just comparing"),
            ("agent", "sure, no problem"),
        ]
    lines += [
        *c.heard_lines(),
        (
            "caller",
            c.rng.choice(
                (
                    "let me talk to my husband and i'll call you back",
                    "okay, let me think about it and call you back",
                    "alright, i'll get back to you",
                )
            ),
        ),
        ("agent", "sounds good, just give us a call when you're ready"),
    ]
    return lines


def ask(c: Caller) -> list[Line]:
    question, answer = c.rng.choice(QUESTIONS)
    return [
        c.greeting(),
        ("caller", f"hi, {c.filler()}i just had a quick question, {question}"),
        ("agent", answer),
        *c.rng.choice(
            (
                [
                    ("caller", "okay, and how soon could somebody come out, usually?"),
                    ("agent", "usually the same day or the next day"),
                ],
                [
                    ("caller", "okay, good to know. and do you charge to come out and look?"),
                    ("agent", "there's a service call fee, and it's waived if we do the work"),
                ],
                [
                    ("caller", "alright, that's good to know"),
                    ("agent", "anything else i can help with?"),
                ],
            )
        ),
        *c.heard_lines(),
        (
            "caller",
            c.rng.choice(
                (
                    "okay, i'll keep you in mind, thanks",
                    "great, i'll call back when we're ready",
                    "cool, thanks, bye",
                )
            ),
        ),
    ]


def existing(c: Caller) -> list[Line]:
    reason = c.rng.choice(
        (
            [
                (
                    "caller",
                    f"hi, this is {c.first} {c.last}, i have an appointment {c.slot} and i need to reschedule",
                ),
                ("agent", "no problem, let me find it. i can move you to next tuesday morning"),
                ("caller", "that works, thank you"),
            ],
            [
                (
                    "caller",
                    f"hi, {c.filler()}i got an invoice from you and i think i was charged twice",
                ),
                (
                    "agent",
                    "i'm sorry about that, let me look at your account. yes, i see it, i'll refund the duplicate, it takes three to five business days",
                ),
                ("caller", "okay, thanks for fixing it"),
            ],
            [
                (
                    "caller",
                    f"your tech was here last week for the {c.problem.job} and it's doing the same thing again",
                ),
                (
                    "agent",
                    "i'm sorry, that's under our warranty, i'll have him come back out at no charge",
                ),
                ("caller", "okay, i'm not happy about it but thank you"),
            ],
            [
                (
                    "caller",
                    "hi, i'm just checking on our appointment today, the technician was supposed to be here at ten",
                ),
                (
                    "agent",
                    "let me check, he's running about twenty minutes behind, he'll text you when he's on the way",
                ),
                ("caller", "okay, thanks"),
            ],
            [
                (
                    "caller",
                    f"hi, can you email me a receipt for the {c.problem.job} you did for us? it's for my landlord",
                ),
                ("agent", "sure, what's the email on the account?"),
                ("caller", f"{c.first.lower()} {c.last.lower()} at gmail dot com"),
                ("agent", "sent, you should have it now"),
            ],
        )
    )
    return [
        c.greeting(),
        *reason,
        ("agent", "anything else i can help you with?"),
        ("caller", "no, that's it, bye"),
    ]


def vendor(c: Caller) -> list[Line]:
    pitch = c.rng.choice(PITCHES)
    return [
        c.greeting(),
        ("caller", f"hi {c.agent}, my name's {c.first}, {pitch}"),
        (
            "agent",
            c.rng.choice(
                (
                    "the owner's not in, can i take a message?",
                    "we're not interested right now, thanks",
                    "you can email our office, we'll look at it",
                )
            ),
        ),
        ("caller", "sure, could you pass along my number? i'll send over some information"),
        ("agent", "okay, will do, bye"),
    ]


def robocall(c: Caller) -> list[Line]:
    message = c.rng.choice(ROBOCALLS)
    lines = [c.greeting(), ("caller", message)]
    if c.rng.random() < 0.5:
        lines.append(("agent", c.rng.choice(("hello?", "another one of these", "ugh, no"))))
    return lines


def wrong(c: Caller) -> list[Line]:
    target, reply = c.rng.choice(WRONG_NUMBERS)
    return [
        c.greeting(),
        ("caller", f"{c.filler()}{target}"),
        ("agent", reply),
        ("caller", "oh, sorry about that, bye"),
    ]


def voicemail(c: Caller) -> list[Line]:
    """The caller's message on the business's voicemail: one speaker, no agent."""
    body = c.rng.choice(
        (
            f"{c.issue}, could somebody call me back today, please",
            f"i'd like to get a quote for {c.problem.job}, please give me a call back",
            f"i need to reschedule my appointment {c.slot}, please call me back",
            f"{c.issue} and i'd like to set up an appointment",
        )
    )
    heard = f" {c.heard}." if c.rng.random() < 0.4 else ""
    return [
        (
            "caller",
            f"hi, {c.filler()}this is {c.first} {c.last}, i'm calling about {c.address}. {body}.{heard} my number is five one two, five five five, {c.rng.randint(1000, 9999)}. thanks, bye",
        )
    ]


SCRIPTS: dict[str, Callable[[Caller], list[Line]]] = {
    "book": book,
    "pay": pay,
    "price": price,
    "ask": ask,
    "existing": existing,
    "vendor": vendor,
    "robocall": robocall,
    "wrong": wrong,
}


def natural_seconds(lines: Sequence[Line]) -> int:
    """How long the lines take to say at a phone call's pace, pauses included."""
    words = sum(len(text.split()) for _, text in lines)
    return round(words / WORDS_PER_SECOND + TURN_GAP * len(lines) + 2)


def script(call_key: str, source: str | None, agent: str | None, voicemail_box: bool) -> list[Line]:
    """The words of one demo call; the same call key gives the same words."""
    rng = random.Random(f"callscope-demo:{call_key}")  # noqa: S311 - demo data, not security
    caller = Caller(rng, source or "", agent or "Maria")
    if voicemail_box:
        return voicemail(caller)
    kind = rng.choices(KINDS, MIX.get(source or "", OTHER_MIX))[0]
    return SCRIPTS[kind](caller)
