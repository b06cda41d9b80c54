"""Issue 12, item 2: the base-specification rules of base_spec_cases.py, each case's errors
exactly (locations, and a fragment of each text). The oracle test asks the HL7 validator
about the same cases."""

from __future__ import annotations

import re

import pytest

from fhircare.validation.api import Validator
from tests.unit.validation.base_spec_cases import (
    ADVICE,
    ADVICE_WARNINGS,
    CASES,
    CODES_WITHOUT_A_SYSTEM,
    CODINGS_NAMING_NOTHING,
    CODINGS_NAMING_NOTHING_ISSUES,
    DISPLAYS_AND_WHITESPACE,
    DISPLAYS_AND_WHITESPACE_ISSUES,
    NO_SYSTEM_WARNINGS,
    Case,
    resource_of,
)

_COMMENT = re.compile(r"/\*.*?\*/")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_base_spec_rule(case: Case, core_validator: Validator) -> None:
    errors = core_validator.validate(resource_of(case)).errors
    found: dict[str, list[str]] = {}
    for issue in errors:
        found.setdefault(issue.expression, []).append(issue.text)
    assert set(found) == set(case.errors), [f"{i.expression}: {i.text}" for i in errors]
    for location, fragment in case.errors.items():
        assert any(fragment in text for text in found[location]), found[location]


def test_a_code_without_a_system_is_warned_of_where_it_is(core_validator: Validator) -> None:
    # a code alone names nothing ("4" of which scale?): the HL7 validator warns, and so does
    # fhircare, at each such Coding and at no other (the tag with a system is not named)
    result = core_validator.validate(CODES_WITHOUT_A_SYSTEM)
    found = {i.expression: i.text for i in result.issues if "no system" in i.text}
    assert found == NO_SYSTEM_WARNINGS
    assert all(i.severity == "warning" for i in result.issues if "no system" in i.text)


def test_codings_that_name_no_code_are_refused_where_a_code_is_required(core_validator: Validator) -> None:
    # a clinical status in words only, or a system with no code, is not one of the statuses;
    # every error and warning as the HL7 validator gives it (the oracle test asks it)
    result = core_validator.validate(CODINGS_NAMING_NOTHING)
    found = {i.expression: (i.severity, i.text) for i in result.issues if i.severity in ("error", "warning")}
    assert found == CODINGS_NAMING_NOTHING_ISSUES


def test_displays_and_strings_with_whitespace_are_judged_as_the_hl7_validator_judges_them(
    core_validator: Validator,
) -> None:
    # a display that is not the code's (in its words, or only in its spacing) is an error, and
    # the coding fails the binding for the whole value; a string with blanks at its ends is
    # warned of (not a markdown), without echoing the string (it may be a name)
    result = core_validator.validate(DISPLAYS_AND_WHITESPACE)
    found = {i.expression: (i.severity, i.text) for i in result.issues if i.severity in ("error", "warning")}
    assert found == DISPLAYS_AND_WHITESPACE_ISSUES


def _starts(found: set[tuple[str, str]], wanted: set[tuple[str, str]]) -> bool:
    """Each found (location, text) is one wanted one, its text starting as said, and the reverse."""
    matched = {w for w in wanted for f in found if f[0] == w[0] and f[1].startswith(w[1])}
    return len(found) == len(wanted) and matched == wanted


def test_advice_is_given_where_the_hl7_validator_gives_it(core_validator: Validator) -> None:
    # best practice, as warnings: no narrative (not of a contained resource), an Observation
    # without subject, performer or time, a UCUM annotation the unit does not say
    result = core_validator.validate(ADVICE)
    assert not result.errors, result.errors
    found = {(_COMMENT.sub("", i.expression), i.text) for i in result.issues if i.severity == "warning"}
    assert _starts(found, ADVICE_WARNINGS), found
