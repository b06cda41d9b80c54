"""What can be known of a SNOMED CT code offline: whether it is a concept identifier at all.

SNOMED CT is not held here (only a terminology server knows its 350,000 concepts), but its
identifiers carry their own proof of form (SNOMED CT Technical Implementation Guide, 6.1):
6 to 18 digits, no leading zero, a partition identifier in the last-but-one two digits
('00' a concept of the International Edition, '10' a concept of an extension such as the
UK's; '01'/'11' descriptions, '02'/'12' relationships), and a Verhoeff check digit last.
A code that fails any of these names no concept in any edition: '276885007x', a care plan
category with a digit mistyped, a description id copied where the concept id belongs. A
GP system receiving one cannot say what was meant, so it is warned of here (a terminology
server would refuse it; an error here would part from the HL7 validator run offline, which
says nothing), rather than passed as "could not be checked".

A code holding the compositional grammar's punctuation is a post-coordinated expression
('73211009:363698007=113331007'); only a terminology server can judge one.
"""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"

#: characters of the compositional grammar (and whitespace): a code holding any is an expression
_EXPRESSION_CHARS = frozenset(":=+|{}(),<>^!#* \t\r\n")
_CONCEPT_PARTITIONS = ("00", "10")

# Verhoeff's dihedral group D5: multiplication and the permutation applied by position
_D5 = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_PERMUTATION = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Does the number (check digit last) pass Verhoeff's check?"""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D5[check][_PERMUTATION[position % 8][ord(digit) - 48]]
    return check == 0


def concept_id_problem(code: str) -> str | None:
    """Why ``code`` cannot be a SNOMED CT concept id (None when it can, or is an expression)."""
    if not _EXPRESSION_CHARS.isdisjoint(code):
        return None
    if not (code.isascii() and code.isdigit()):
        return "a SNOMED CT identifier is digits only"
    if not 6 <= len(code) <= 18 or code[0] == "0":
        return "a SNOMED CT identifier is 6 to 18 digits, not starting with 0"
    if code[-3:-1] not in _CONCEPT_PARTITIONS:
        return f"its partition identifier '{code[-3:-1]}' is not a concept's (a description or relationship id?)"
    if not verhoeff_valid(code):
        return "its check digit is wrong"
    return None
