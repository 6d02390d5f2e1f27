"""Calls written for the learning tests, apart from the corpus: a custom category an
account might add (warranty claims at a shop that sells and repairs appliances) and
ordinary calls to check that the custom category does not swallow them."""

from __future__ import annotations

WARRANTY_EXAMPLES = [
    "hi I bought a dishwasher from you in March and it stopped draining, it's still under "
    "warranty so I need someone to fix it at no charge",
    "yeah um the fridge you sold us is making a loud buzzing and the freezer isn't cold, the "
    "receipt says two year warranty, what do I do to get it repaired under that",
    "I'm calling about a warranty claim, the washing machine drum is broken after eight months",
    "hello, my oven door hinge snapped, I have the extended warranty plan with you, can you "
    "send a technician under the plan",
    "the microwave I got from your store last year died, is that covered by the manufacturer "
    "warranty or yours, I still have the box and the receipt",
    "guten Tag, der Trockner, den ich bei Ihnen gekauft habe, heizt nicht mehr, der ist noch "
    "in der Garantie, wie läuft das mit der Reparatur",
    "hi there the dryer you installed in June has a warranty and it's already leaking water "
    "onto the floor, I want it replaced not repaired",
    "my dishwasher is still under warranty and the control panel keeps flashing an error "
    "code, your guy needs to come out and fix it for free",
    "здравствуйте, холодильник купили у вас полгода назад, перестал морозить, он на гарантии, "
    "как оформить гарантийный ремонт",
    "I registered the warranty online when I bought the range, now two burners don't light, "
    "how do I file the claim",
]

WARRANTY_NEW = [
    "hi, so the washer we bought at your shop in January is shaking like crazy on the spin "
    "cycle, the paperwork says it's under warranty until next year, can you fix it for free",
    "hello I'd like to make a claim on my warranty, the freezer compartment of my fridge "
    "stopped freezing, model number is on the receipt",
    "yeah the cooktop from you has a cracked glass top after four months, that should be "
    "covered under the warranty right, I didn't drop anything on it",
    "good morning, my dishwasher still has warranty and it won't start at all now, I need "
    "a repair under the warranty please",
    "the range hood you sold me last spring stopped working, the fan is dead, I have the "
    "three year warranty, who do I talk to about getting it replaced",
    "hi um my dryer is under the extended warranty plan and it's making a burning smell, "
    "I want a technician out under the plan",
]

ORDINARY = [
    "hi do you sell gas ranges, and do you deliver on weekends, I'm just looking around",
    "I want to buy the stainless fridge I saw on your website, can I pay by card now and "
    "have it delivered Thursday",
    "this is Mark from Brightline Marketing, we help appliance stores get more leads from "
    "Google, do you have a minute to talk about your advertising",
    "you have reached Apex Appliances, we are closed, please leave a message after the tone",
    "oh sorry I was trying to reach my dentist, wrong number",
    "congratulations, your business has been selected, press one to speak to an agent",
]

# A kind of call the shared model has no special notion of: an insurance adjuster
# confirming a claim visit. The account decides where such calls belong.
ADJUSTER = [
    "hello this is Dana from Harbor Mutual insurance, I'm the adjuster on claim 4471 for "
    "your customer on Elm Street, I need to confirm the inspection of the water damage",
    "hi, Harbor Mutual claims department calling, adjuster Ron Bell, we have a claim for "
    "water damage at a property you worked on and I want to confirm the inspection date",
    "good afternoon, it's Priya, adjuster with Harbor Mutual insurance, about the water "
    "damage claim for a customer of yours, can we confirm the inspection for next week",
]

# The same shop's earlier calls, as the shared model categorised them: the account's
# background, which tells its head that fridges and dryers are every call's words here.
BACKGROUND = [
    ("inquiry", "hi, do you carry front load washers in white, and what brands do you have"),
    ("sale", "I'll take the french door fridge, put it on my visa, delivery Saturday is fine"),
    ("appointment", "can someone come measure the space for a new dishwasher on Friday at ten"),
    ("quote", "so the installed price for the gas dryer would be eight ninety, let me think"),
    (
        "solicitation",
        "we supply appliance parts wholesale and I'd love to send your buyer our catalog",
    ),
    ("customer_service", "my fridge delivery was supposed to be today and nobody showed up"),
    ("inquiry", "are you open on Sunday, I want to look at ranges and microwaves"),
    ("sale", "yes order the stainless microwave for me please, I'll pay now over the phone"),
]
