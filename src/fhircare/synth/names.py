"""Synthetic identities: small built-in lists, test-range numbers, invented places.

Nothing here is real personal data. Names are drawn from short lists of common given
names and deliberately made-up family names; NHS numbers come from the 999 test range
(with valid modulus 11 check digits); telephone numbers from Ofcom's ranges reserved for
drama (01632 960xxx, 07700 900xxx); ODS codes start with ZZ; postcodes use the ZZ area,
which does not exist.
"""

from __future__ import annotations

import random

from fhircare.source.common import nhs_check_digit, nhs_number_problem

GIVEN_FEMALE = (
    "Alice", "Amira", "Beth", "Chloe", "Dana", "Ella", "Fatima", "Grace", "Hana", "Isla",
    "Jade", "Kira", "Lena", "Maya", "Nina", "Olive", "Priya", "Rosa", "Sofia", "Tess",
)  # fmt: skip
GIVEN_MALE = (
    "Aaron", "Ben", "Callum", "Dev", "Eli", "Finn", "Gabe", "Harun", "Ivan", "Jon",
    "Kofi", "Luca", "Milo", "Nico", "Omar", "Pete", "Ravi", "Sam", "Theo", "Zak",
)  # fmt: skip
GIVEN_ANY = ("Alex", "Charlie", "Jordan", "Morgan", "Robin", "Sky", "Taylor", "Jamie")
GIVEN_WELSH = ("Cerys", "Dafydd", "Eleri", "Gethin", "Megan", "Nia", "Owain", "Rhys", "Sian", "Tomos")
FAMILY = (
    "Sample", "Example", "Specimen", "Placeholder", "Dummy", "Fictional", "Madeup", "Pretend",
    "Invented", "Testwell", "Mockridge", "Notreal", "Storyford", "Draftley", "Proxley", "Samplington",
    "Figment", "Quillby", "Fablewood", "Tinkerly", "Hollowmere", "Larkspur", "Wrenfield", "Brightmoor",
)  # fmt: skip
FAMILY_WELSH = ("Synthetig", "Ffuglen", "Enghraifft", "Sampl", "Dychmygol")
STREETS = ("Synthetic Street", "Example Road", "Placeholder Lane", "Specimen Close", "Fable Avenue", "Draft Way")
TOWNS = ("Synthetic Valley", "Exampleton", "Border Vale")
TOWNS_WELSH = ("Cwm Synthetig", "Border Vale")


class NhsNumbers:
    """Distinct NHS numbers from the 999 test range, in a deterministic order for a seed."""

    #: nine-digit prefixes 999000000..999999999 offer this many numbers before wrapping
    SPAN = 1_000_000

    def __init__(self, seed: int) -> None:
        self._next = (seed * 7919) % self.SPAN

    def take(self) -> str:
        for _ in range(self.SPAN):
            first_nine = f"999{self._next:06d}"
            self._next = (self._next + 1) % self.SPAN
            check = nhs_check_digit(first_nine)
            if check is not None and nhs_number_problem(f"{first_nine}{check}") is None:
                return f"{first_nine}{check}"
        raise RuntimeError("the 999 test range is exhausted")


def mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randrange(1000):03d}"


def landline(rng: random.Random) -> str:
    return f"01632 960{rng.randrange(1000):03d}"


def postcode(rng: random.Random) -> str:
    return f"ZZ{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXY')}{rng.choice('ABDEFGHJLN')}"


def given_name(rng: random.Random, gender: str, welsh: bool = False) -> str:
    if welsh and rng.random() < 0.7:
        return rng.choice(GIVEN_WELSH)
    pool = {"female": GIVEN_FEMALE, "male": GIVEN_MALE}.get(gender, GIVEN_ANY)
    return rng.choice(pool)


def family_name(rng: random.Random, welsh: bool = False) -> str:
    if welsh and rng.random() < 0.5:
        return rng.choice(FAMILY_WELSH)
    return rng.choice(FAMILY)
