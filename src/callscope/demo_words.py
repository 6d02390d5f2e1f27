"""The demo's raw material: who calls, from where, about what, and how they found the business.

Data only; demo_scripts.py makes calls of it. Weights per source say what the callers of
each source tend to want, which is what makes the demo's reports differ by source.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the call is about, per source: booking, paying, pricing, asking, an existing job,
# a vendor, a robocall, a wrong number. Weights, not probabilities.
KINDS = ("book", "pay", "price", "ask", "existing", "vendor", "robocall", "wrong")
MIX: dict[str, tuple[float, ...]] = {
    "Google Ads": (36, 8, 20, 12, 8, 4, 5, 7),
    "Facebook Ads": (14, 3, 20, 38, 8, 4, 7, 6),
    "Google Organic": (26, 5, 20, 20, 17, 4, 3, 5),
    "Yelp": (22, 4, 30, 20, 12, 4, 3, 5),
    "Direct": (20, 5, 10, 10, 42, 5, 3, 5),
    "Flyer": (24, 4, 26, 20, 10, 4, 4, 8),
    "Van wrap": (30, 5, 22, 20, 10, 4, 3, 6),
    "Google Business Profile": (18, 3, 12, 20, 12, 15, 15, 5),
}
OTHER_MIX = (20, 4, 20, 20, 20, 5, 5, 6)
# How a caller says they found the business, per source (the insights rules read these).
HEARD: dict[str, tuple[str, ...]] = {
    "Google Ads": (
        "i just googled emergency plumber",
        "i found you on google",
        "i searched for a plumber near me and you came up first",
    ),
    "Google Organic": (
        "i found you on google",
        "i googled plumbers in austin",
        "i searched online and your reviews looked good",
    ),
    "Facebook Ads": (
        "i saw your ad on facebook",
        "i saw your post on facebook about water heaters",
        "a facebook ad",
    ),
    "Yelp": ("i found you on yelp", "your reviews on yelp", "yelp, you had like five stars"),
    "Flyer": (
        "we got your flyer in the mailbox",
        "i have your flyer on the fridge",
        "a flyer, the one with the coupon",
    ),
    "Van wrap": (
        "i saw your van in the neighborhood",
        "i saw one of your trucks on lamar",
        "your van was parked down the street",
    ),
    "Google Business Profile": (
        "i found you on google maps",
        "you came up on the maps",
        "on google maps, you're close to me",
    ),
    "Direct": (
        "we've used you before",
        "my neighbor recommended you",
        "a friend of mine recommended you, she said you were honest",
    ),
}
OTHER_HEARD = ("my neighbor recommended you", "we've used you before", "i think i saw your van")

FIRST = (
    "Linda",
    "James",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Elizabeth",
    "David",
    "Sarah",
    "Carlos",
    "Maria",
    "Kevin",
    "Ashley",
    "Brian",
    "Jessica",
    "Hector",
    "Nguyen",
    "Priya",
    "Tom",
    "Rachel",
    "Gloria",
    "Derek",
    "Megan",
    "Omar",
    "Teresa",
    "Luke",
)
LAST = (
    "Johnson",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "Nguyen",
    "Patel",
    "Walker",
    "Young",
    "Allen",
    "Ramirez",
    "Torres",
    "Bennett",
    "Brooks",
    "Sullivan",
    "Kim",
)
STREETS = (
    "Burnet Road",
    "South Lamar",
    "Manchaca Road",
    "Cameron Road",
    "Riverside Drive",
    "Slaughter Lane",
    "Parmer Lane",
    "Brodie Lane",
    "Airport Boulevard",
    "Duval Street",
    "Koenig Lane",
    "William Cannon Drive",
    "Oltorf Street",
    "Anderson Mill Road",
    "Mesa Drive",
    "Shoal Creek Boulevard",
    "Pleasant Valley Road",
    "Rundberg Lane",
)
AREAS = (
    "Hyde Park",
    "Mueller",
    "Travis Heights",
    "Circle C",
    "Allandale",
    "Crestview",
    "Zilker",
    "Round Rock",
    "Pflugerville",
    "Cedar Park",
    "Bouldin Creek",
    "Windsor Park",
)
SLOTS = (
    "tomorrow between eight and ten",
    "this afternoon between two and four",
    "tomorrow morning at nine",
    "thursday between ten and noon",
    "monday at eight a.m.",
    "today around four thirty",
    "friday morning, first thing",
    "wednesday at one",
)


@dataclass(frozen=True)
class Problem:
    say: tuple[str, ...]  # how a caller describes it
    job: str  # what the agent calls the work
    low: int  # price range of the work, dollars
    high: int
    questions: tuple[tuple[str, str], ...]  # what the agent asks about it, and the answer


PROBLEMS = (
    Problem(
        (
            "my kitchen sink is completely backed up",
            "the kitchen drain is clogged, the water just sits there",
            "the shower drain is clogged again and it smells",
        ),
        "drain cleaning",
        149,
        289,
        (
            ("is it just the one drain or more than one?", "i think just that one"),
            (
                "have you tried anything on it yet?",
                "i poured some drano in it, it didn't do anything",
            ),
        ),
    ),
    Problem(
        (
            "we have no hot water at all",
            "the water heater is leaking from the bottom",
            "our water heater is making this popping noise",
        ),
        "water heater replacement",
        1450,
        2350,
        (
            ("do you know how old the tank is?", "it came with the house, so maybe twelve years"),
            ("is it gas or electric?", "gas, it's a forty gallon in the garage"),
        ),
    ),
    Problem(
        (
            "the pilot light on the water heater keeps going out",
            "the hot water runs out after like five minutes",
        ),
        "water heater repair",
        225,
        480,
        (
            ("is it gas or electric?", "it's gas"),
            ("how old is the unit?", "six or seven years i think"),
        ),
    ),
    Problem(
        (
            "a pipe burst in the garage and there's water everywhere",
            "i think a pipe burst under the house, i can hear water running",
            "there's water coming through the ceiling",
        ),
        "emergency pipe repair",
        380,
        950,
        (
            (
                "have you been able to shut the water off at the main?",
                "yes, my husband found the valve by the curb",
            ),
            ("is the water near anything electrical?", "no, it's just the floor and the drywall"),
        ),
    ),
    Problem(
        (
            "sewage is coming up in the bathtub",
            "every drain in the house is gurgling and the toilets back up",
            "i think the sewer line is clogged, there are roots in the yard",
        ),
        "sewer line camera inspection and hydro jetting",
        450,
        780,
        (
            ("when was the line last cleaned out?", "never, we've been in the house ten years"),
            ("is there a cleanout in the yard?", "i think there's a white cap by the driveway"),
        ),
    ),
    Problem(
        (
            "the kitchen faucet drips all night",
            "the bathroom faucet is leaking under the sink",
            "the outdoor spigot is leaking",
        ),
        "faucet repair",
        125,
        245,
        (
            ("do you know what brand the faucet is?", "it's a moen, i think"),
            ("is it dripping from the spout or underneath?", "from the spout, all the time"),
        ),
    ),
    Problem(
        (
            "the toilet keeps running",
            "the toilet is clogged and the plunger isn't doing anything",
            "the toilet is leaking at the base",
        ),
        "toilet repair",
        135,
        260,
        (
            ("is it your only bathroom?", "no, we have two, this is the upstairs one"),
            ("is water on the floor right now?", "a little bit, i put towels down"),
        ),
    ),
    Problem(
        ("the garbage disposal just hums and won't spin", "the disposal is leaking under the sink"),
        "garbage disposal replacement",
        295,
        475,
        (
            ("how old is the disposal?", "it came with the house"),
            ("is it a half horsepower or bigger, do you know?", "no idea, sorry"),
        ),
    ),
    Problem(
        (
            "our water bill doubled and i think there's a slab leak",
            "there's a warm spot on the floor, i think it's a slab leak",
        ),
        "leak detection",
        300,
        550,
        (
            (
                "if you turn everything off, can you hear water running?",
                "yes, kind of a hissing in the wall",
            ),
            ("is the meter still spinning with everything off?", "i didn't check, i can look"),
        ),
    ),
)

QUESTIONS = (
    (
        "do you guys install tankless water heaters?",
        "yes we do, we install rinnai and navien, a tech would come look at your setup first",
    ),
    (
        f"do you service {AREAS[7]}?",
        "yes, we cover all of austin, round rock, pflugerville and cedar park",
    ),
    (
        "are you open on saturdays?",
        "we're open saturdays eight to four, and we do emergencies twenty four seven",
    ),
    ("do you do water softeners?", "we do, we install and service them"),
    ("do you offer financing at all?", "we do, there's financing on jobs over a thousand dollars"),
    (
        "are your plumbers licensed?",
        "yes, all our plumbers are licensed with the state of texas and insured",
    ),
    ("do you do gas lines too?", "yes we do gas line repair and installs, with the permit"),
)

PITCHES = (
    "i'm with a digital marketing agency, we help plumbing companies get to the top of google, is the owner available?",
    "i'm calling from a parts supply company, we've got better pricing than ferguson on water heaters, who does your purchasing?",
    "i'm a licensed journeyman plumber and i wanted to ask if you're hiring right now",
    "i'm with a lead generation service, we send you pre-qualified plumbing jobs in austin for a flat monthly fee",
    "i'm a recruiter and i have a service manager position i think your team lead would be great for",
    "we do vehicle wraps and fleet graphics, and we'd love to give you a quote for your fleet",
)

ROBOCALLS = (
    "this is an important message about your google business listing. your listing is at risk of being removed. press one now to verify your business",
    "we've been trying to reach you concerning your vehicle's extended warranty. press one to speak to a specialist",
    "this is your final notice regarding the interest rate on your credit card account. press one to lower your rate now",
    "congratulations, your business has been selected for a free cruise to the bahamas. press one to claim",
)

WRONG_NUMBERS = (
    (
        "is this tony's pizza? i'd like to place an order for pickup",
        "no, sorry, this is a plumbing company",
    ),
    (
        "hi, is this doctor patel's office? i need to move my cleaning",
        "no ma'am, you've got the wrong number, this is Rapid Rooter Plumbing",
    ),
    ("can i talk to kevin?", "there's no kevin here, i think you have the wrong number"),
    (
        "is this austin water? i want to report a main break on my street",
        "no, this is a private plumbing company, you'll want the city, their number's on your bill",
    ),
)
