"""A ConceptMap's codes against the code systems and value sets it maps between
(validation/concept_maps.py). Every R4 specification ConceptMap (80) gives exactly the HL7
validator's errors; these pin each rule on a small map from a trust's local statuses."""

from __future__ import annotations

from typing import Any

import pytest

from fhircare.validation.api import Validator

CARE_PLAN_STATUS = "http://hl7.org/fhir/request-status"
GENDER = "http://hl7.org/fhir/administrative-gender"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>A map</p></div>'}


def _map(*groups: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "ConceptMap",
        "id": "m1",
        "text": NARRATIVE,
        "url": "https://fhir.fhircare.test/ConceptMap/m1",
        "status": "draft",
        "group": list(groups),
        **extra,
    }


def _group(source: str, target: str, pairs: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "source": source,
        "target": target,
        "element": [{"code": s, "target": [{"code": t, "equivalence": "equivalent"}]} for s, t in pairs],
        **extra,
    }


def _errors(validator: Validator, resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.expression, i.text) for i in validator.validate(resource).issues if i.is_error]


def test_codes_each_code_system_defines_are_accepted(core_validator: Validator) -> None:
    group = _group(GENDER, CARE_PLAN_STATUS, [("male", "active"), ("unknown", "entered-in-error")])
    assert _errors(core_validator, _map(group)) == []


def test_a_source_and_a_target_code_their_code_systems_do_not_define_are_errors_on_the_code(
    core_validator: Validator,
) -> None:
    group = _group(GENDER, CARE_PLAN_STATUS, [("M", "active"), ("female", "cancelled")])
    assert _errors(core_validator, _map(group)) == [
        (
            "ConceptMap.group[0].element[0].code",
            f"The source code 'M' is not valid in the code system {GENDER}|4.0.1",
        ),
        (
            "ConceptMap.group[0].element[1].target[0].code",
            f"The target code 'cancelled' is not valid in the code system {CARE_PLAN_STATUS}|4.0.1",
        ),
    ]


def test_a_source_code_outside_the_maps_source_value_set_is_an_error(core_validator: Validator) -> None:
    # the map says its source codes are care plan activity statuses; request-status#unknown
    # is a code of its code system, but not of that value set
    group = _group(CARE_PLAN_STATUS, GENDER, [("unknown", "unknown")])
    scope = "http://hl7.org/fhir/ValueSet/care-plan-activity-status"
    assert _errors(core_validator, _map(group, sourceCanonical=scope)) == [
        (
            "ConceptMap.group[0].element[0].code",
            f"The source code 'unknown' is not valid in the value set {scope}|4.0.1",
        )
    ]
    assert _errors(core_validator, _map(group, sourceUri="http://hl7.org/fhir/ValueSet/request-status")) == []


@pytest.mark.parametrize(
    "group",
    [
        # SNOMED CT: not held offline; a local code system: not held
        _group("http://snomed.info/sct", GENDER, [("not-a-concept", "male")]),
        _group("https://fhir.trust.nhs.uk/CodeSystem/statuses", CARE_PLAN_STATUS, [("Open", "active")]),
        # another version than the one held: not judged against this one
        _group(GENDER, CARE_PLAN_STATUS, [("M", "active")], sourceVersion="3.0.2"),
    ],
)
def test_a_code_system_not_held_in_that_version_is_not_judged(core_validator: Validator, group: dict[str, Any]) -> None:
    assert [e for e in _errors(core_validator, _map(group)) if "source code" in e[1]] == []
