"""A ValueSet's filters judged against the code system they filter, when we hold it, and a
Coding that names a code system supplement (the cases of HL7's own test suite, re-made:
vs-filter-property-bad, vs-filter-int, vs-bad-props, supplement-1)."""

from __future__ import annotations

from typing import Any

import pytest

from fhircare.validation.api import Validator
from fhircare.validation.engine import Validator as EngineValidator

BASE = "https://fhir.fhircare.test"
CS = f"{BASE}/CodeSystem/support-need"
RISK = f"{BASE}/CodeSystem/risk-level"
SUPPLEMENT = f"{BASE}/CodeSystem/support-need-welsh"

#: a code system with a hierarchy, typed properties and a filter of its own
SUPPORT_NEEDS = {
    "resourceType": "CodeSystem",
    "url": CS,
    "status": "active",
    "content": "complete",
    "hierarchyMeaning": "is-a",
    "property": [
        {"code": "risk", "type": "Coding"},
        {"code": "priority", "type": "integer"},
        {"code": "team", "type": "code"},
        {"code": "note", "type": "string"},
    ],
    "filter": [{"code": "team", "operator": ["=", "in"], "value": "a team code"}],
    "concept": [
        {"code": "housing", "concept": [{"code": "tenancy"}]},
        {"code": "employment"},
    ],
}
RISK_LEVELS = {
    "resourceType": "CodeSystem",
    "url": RISK,
    "status": "active",
    "content": "complete",
    "concept": [{"code": "low"}, {"code": "high"}],
}
WELSH = {
    "resourceType": "CodeSystem",
    "url": SUPPLEMENT,
    "version": "1.0",
    "status": "active",
    "content": "supplement",
    "supplements": CS,
    "concept": [{"code": "housing", "designation": [{"language": "cy", "value": "tai"}]}],
}


@pytest.fixture(scope="module")
def validator(core_validator: Validator) -> EngineValidator:
    ctx = core_validator.context.overlay()
    for resource in (SUPPORT_NEEDS, RISK_LEVELS, WELSH):
        ctx.add_resource(resource)
    return EngineValidator(ctx)


def filtered(prop: str, op: str, value: str) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "url": f"{BASE}/ValueSet/needs",
        "status": "active",
        "compose": {"include": [{"system": CS, "filter": [{"property": prop, "op": op, "value": value}]}]},
    }


def filter_issues(validator: EngineValidator, resource: dict[str, Any]) -> list[tuple[str, str]]:
    issues = validator.validate(resource).issues
    return [(i.severity, i.text) for i in issues if i.expression == "ValueSet.compose.include[0].filter[0]"]


@pytest.mark.parametrize(
    ("prop", "op", "value"),
    [
        ("concept", "is-a", "housing"),
        ("concept", "in", "housing,employment"),
        ("parent", "=", "housing"),  # a hierarchy gives the system parent and child
        ("risk", "=", f"{RISK}#high"),
        ("priority", "=", "lt2"),  # a number may carry a search prefix
        ("team", "in", "housing,tenancy"),  # (a code property: codes of the system)
        ("note", "=", "anything at all"),
        ("code", "regex", "h.*"),
    ],
)
def test_filters_the_system_can_apply_pass(validator: EngineValidator, prop: str, op: str, value: str) -> None:
    assert filter_issues(validator, filtered(prop, op, value)) == []


@pytest.mark.parametrize(
    ("prop", "op", "value", "severity", "text"),
    [
        ("concept", "is-a", "rent", "error", f"and 'rent' is not (Unknown code 'rent' in the CodeSystem '{CS}'"),
        ("risk", "=", "high", "error", "must be in the format system(|version)#code, not 'high'"),
        ("risk", "=", f"{RISK}#severe", "error", f"is '{RISK}#severe' which is not a valid code (Unknown code"),
        ("risk", "=", f"{RISK}|high", "warning", "not the coding search pattern"),
        ("priority", "=", "two", "error", "must be integer value, not 'two'"),
        ("team", "is-a", "crisis", "error", "The operation 'is-a' is not allowed for property 'team'"),
        ("colour", "=", "blue", "warning", "The property 'colour' is not known for the system"),
        ("notSelectable", "=", "yes", "error", "must be either 'true' or 'false', not 'yes'"),
    ],
)
def test_filters_the_system_cannot_apply_are_reported(
    validator: EngineValidator, prop: str, op: str, value: str, severity: str, text: str
) -> None:
    found = filter_issues(validator, filtered(prop, op, value))
    assert any(s == severity and text in t for s, t in found), found


def test_a_code_property_value_the_system_lacks_is_a_warning(validator: EngineValidator) -> None:
    # a 'code' property often holds a list of values the system defines nowhere: a warning only
    found = filter_issues(validator, filtered("team", "=", "crisis"))
    assert [s for s, _ in found] == ["warning"]
    assert "must be a valid code from the system" in found[0][1]


def test_a_coding_may_not_name_a_supplement(validator: EngineValidator) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": SUPPLEMENT, "code": "housing"}]},
    }
    errors = [(i.expression, i.text) for i in validator.validate(observation).errors]
    assert errors == [
        (
            "Observation.code.coding[0].system",
            f"CodeSystem {SUPPLEMENT}|1.0 is a supplement, so can't be used as a value in Coding.system",
        )
    ]
    # the code system it supplements is the one a coding names
    observation["code"]["coding"][0]["system"] = CS
    assert validator.validate(observation).errors == []


def test_a_value_set_lists_only_codes_its_code_system_defines(validator: EngineValidator) -> None:
    value_set = {
        "resourceType": "ValueSet",
        "url": f"{BASE}/ValueSet/listed-needs",
        "status": "active",
        "compose": {
            "include": [
                {"system": CS, "concept": [{"code": "housing"}, {"code": "rent"}]},
                {"system": "http://snomed.info/sct", "concept": [{"code": "35489007"}, {"code": "35489008"}]},
            ]
        },
    }
    found = [
        (i.severity, i.expression, i.text) for i in validator.validate(value_set).issues if ".concept[" in i.expression
    ]
    assert found == [
        (
            "error",
            "ValueSet.compose.include[0].concept[1]",
            f"The code 'rent' is not valid in the system {CS} (Unknown code 'rent' in the CodeSystem '{CS}' "
            "version 'null')",
        ),
        (
            "warning",
            "ValueSet.compose.include[1].concept[1]",
            "The code '35489008' is not valid in the system http://snomed.info/sct: it cannot be a SNOMED CT "
            "concept (its check digit is wrong)",
        ),
    ]
