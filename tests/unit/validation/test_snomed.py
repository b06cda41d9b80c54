"""SNOMED CT concept ids by their form, and every SNOMED CT code fhircare itself sends.

A code fhircare puts in a care plan reaches GP systems that look it up: one with a digit
mistyped names nothing there. The form check (snomed.py) is what can be known offline.
"""

from __future__ import annotations

import contextlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from fhircare.settings import Settings
from fhircare.source import codes
from fhircare.validation.api import Validator
from fhircare.validation.snomed import SNOMED, concept_id_problem, verhoeff_valid


@pytest.mark.parametrize(
    "code",
    [
        "35489007",  # depressive disorder
        "404684003",  # clinical finding
        "1142143009",  # a concept model attribute
        "999000011000000103",  # a UK extension concept (namespace 1000000, partition 10)
        "320091000221107",
    ],
)
def test_concept_ids_pass(code: str) -> None:
    assert verhoeff_valid(code)
    assert concept_id_problem(code) is None


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("35489008", "check digit"),  # one digit off
        ("35498007", "check digit"),  # two digits swapped: Verhoeff catches every transposition
        ("276885007x", "digits only"),
        ("something", "digits only"),
        ("12345", "6 to 18 digits"),
        ("035489007", "6 to 18 digits"),
        ("1234567890123456789", "6 to 18 digits"),
        ("59594017", "partition identifier '01'"),  # a description id, where a concept's belongs
    ],
)
def test_what_cannot_be_a_concept_id_says_why(code: str, why: str) -> None:
    problem = concept_id_problem(code)
    assert problem is not None and why in problem


def test_an_expression_is_left_to_a_terminology_server() -> None:
    assert concept_id_problem("73211009:363698007=113331007") is None
    assert concept_id_problem("73211009 |Diabetes mellitus|") is None


def test_a_coding_that_cannot_be_a_concept_is_warned_of(core_validator: Validator) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "35489008"}]},
    }
    found = [
        (i.severity, i.text)
        for i in core_validator.validate(observation).issues
        if i.expression == "Observation.code.coding[0].code"
    ]
    assert found == [
        (
            "warning",
            f"Unknown code '35489008' in the CodeSystem '{SNOMED}': it cannot be a SNOMED CT concept "
            "(its check digit is wrong)",
        )
    ]


def _snomed_codes(value: Any, system: str | None = None) -> list[str]:
    """Every SNOMED CT code in a resource: codings, and value set includes' concepts."""
    found: list[str] = []
    if isinstance(value, dict):
        here = value.get("system", system)
        if here == SNOMED and isinstance(value.get("code"), str):
            found.append(value["code"])
        for key, item in value.items():
            found += _snomed_codes(item, here if key == "concept" else None)
    elif isinstance(value, list):
        for item in value:
            found += _snomed_codes(item, system)
    return found


def _table_codings() -> list[codes.Coding]:
    """The coding of every member of every code table in source/codes.py."""
    found = []
    for table in vars(codes).values():
        if isinstance(table, type) and issubclass(table, StrEnum) and table is not StrEnum:
            for member in table:
                with contextlib.suppress(KeyError):  # (a purely local code has no coding)
                    found.append(codes.coding(member))
    return found


def test_every_snomed_code_fhircare_sends_is_a_concept_id() -> None:
    from_tables = [c.code for c in _table_codings() if c.system == SNOMED]
    package = Settings().profiles_package
    assert package is not None
    from_profiles = [
        code for path in Path(package).glob("*.json") for code in _snomed_codes(json.loads(path.read_bytes()))
    ]
    assert len(from_tables) >= 16 and len(from_profiles) >= 48  # the scan found what it is about
    wrong = {code: concept_id_problem(code) for code in from_tables + from_profiles if concept_id_problem(code)}
    assert wrong == {}
