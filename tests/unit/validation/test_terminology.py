"""Offline ValueSet expansion and membership, and what a binding makes of an unknown answer."""

from __future__ import annotations

from typing import Any

import pytest

from fhircare.validation.api import Validator
from fhircare.validation.context import DefinitionContext
from fhircare.validation.engine import Validator as EngineValidator
from fhircare.validation.terminology import Membership, Terminology

BASE = "http://example.org/fhir"
CS = f"{BASE}/CodeSystem/care-status"
SNOMED = "http://snomed.info/sct"
OTHER = f"{BASE}/CodeSystem/other"

CODE_SYSTEM = {
    "resourceType": "CodeSystem",
    "url": CS,
    "status": "active",
    "content": "complete",
    "concept": [
        {
            "code": "active",
            "concept": [
                {"code": "engaged"},
                {"code": "disengaged", "concept": [{"code": "not-attending"}]},
            ],
        },
        {"code": "closed"},
        {"code": "referred"},
    ],
}
ALL = {"active", "engaged", "disengaged", "not-attending", "closed", "referred"}


def value_set(name: str, compose: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "url": f"{BASE}/ValueSet/{name}",
        "name": name,
        "status": "active",
        "compose": compose,
    }


VALUE_SETS = [
    value_set("listed", {"include": [{"system": CS, "concept": [{"code": "active"}, {"code": "closed"}]}]}),
    value_set("whole", {"include": [{"system": CS}]}),
    value_set(
        "is-a", {"include": [{"system": CS, "filter": [{"property": "concept", "op": "is-a", "value": "active"}]}]}
    ),
    value_set(
        "descendants",
        {"include": [{"system": CS, "filter": [{"property": "concept", "op": "descendent-of", "value": "active"}]}]},
    ),
    value_set("imported", {"include": [{"valueSet": [f"{BASE}/ValueSet/listed"]}]}),
    value_set("excluded", {"include": [{"system": CS}], "exclude": [{"system": CS, "concept": [{"code": "closed"}]}]}),
    value_set(
        "exclude-branch",
        {
            "include": [{"system": CS}],
            "exclude": [{"system": CS, "filter": [{"property": "concept", "op": "is-a", "value": "disengaged"}]}],
        },
    ),
    value_set(
        "snomed",
        {"include": [{"system": SNOMED, "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]}]},
    ),
    value_set(
        "snomed-and-local",
        {
            "include": [
                {"system": SNOMED, "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]},
                {"system": CS, "concept": [{"code": "closed"}]},
            ]
        },
    ),
    value_set("imports-unknown", {"include": [{"valueSet": [f"{BASE}/ValueSet/not-loaded"]}]}),
]


def vs(name: str) -> str:
    return f"{BASE}/ValueSet/{name}"


@pytest.fixture(scope="module")
def context(core_validator: Validator) -> DefinitionContext:
    ctx = core_validator.context.overlay()
    ctx.add_resource(CODE_SYSTEM)
    for resource in VALUE_SETS:
        ctx.add_resource(resource)
    return ctx


@pytest.fixture
def terminology(context: DefinitionContext) -> Terminology:
    return Terminology(context)


def codes(terminology: Terminology, name: str) -> set[str]:
    expansion = terminology.expand(vs(name))
    assert expansion is not None
    assert expansion.unknown_systems == set()
    return expansion.codes.get(CS, set())


def test_concept_list(terminology: Terminology) -> None:
    assert codes(terminology, "listed") == {"active", "closed"}
    assert terminology.check(vs("listed"), CS, "closed")[0] is Membership.IN
    assert terminology.check(vs("listed"), CS, "referred")[0] is Membership.NOT_IN
    # the right code from the wrong system is not in it
    assert terminology.check(vs("listed"), OTHER, "closed")[0] is Membership.NOT_IN


def test_whole_code_system_includes_nested_concepts(terminology: Terminology) -> None:
    assert codes(terminology, "whole") == ALL


def test_is_a_filter(terminology: Terminology) -> None:
    assert codes(terminology, "is-a") == {"active", "engaged", "disengaged", "not-attending"}


def test_descendent_of_filter_leaves_out_the_concept_itself(terminology: Terminology) -> None:
    assert codes(terminology, "descendants") == {"engaged", "disengaged", "not-attending"}


def test_import_of_another_value_set(terminology: Terminology) -> None:
    assert codes(terminology, "imported") == {"active", "closed"}


def test_exclude(terminology: Terminology) -> None:
    assert codes(terminology, "excluded") == ALL - {"closed"}
    assert terminology.check(vs("excluded"), CS, "closed")[0] is Membership.NOT_IN
    assert codes(terminology, "exclude-branch") == ALL - {"disengaged", "not-attending"}


def test_code_without_a_system(terminology: Terminology) -> None:
    assert terminology.check(vs("listed"), None, "active")[0] is Membership.IN
    assert terminology.check(vs("listed"), None, "nope")[0] is Membership.NOT_IN


def test_snomed_include_makes_membership_unknown(terminology: Terminology) -> None:
    expansion = terminology.expand(vs("snomed"))
    assert expansion is not None
    assert SNOMED in expansion.unknown_systems
    assert terminology.check(vs("snomed"), SNOMED, "35489007")[0] is Membership.UNKNOWN
    # a code from another system is known not to be in it
    assert terminology.check(vs("snomed"), OTHER, "35489007")[0] is Membership.NOT_IN
    # the local part of a mixed value set is still known exactly
    assert terminology.check(vs("snomed-and-local"), CS, "closed")[0] is Membership.IN
    assert terminology.check(vs("snomed-and-local"), CS, "referred")[0] is Membership.NOT_IN
    assert terminology.check(vs("snomed-and-local"), None, "referred")[0] is Membership.UNKNOWN


def test_an_exclude_that_cannot_be_evaluated_makes_membership_unknown(context: DefinitionContext) -> None:
    ctx = context.overlay()
    ctx.add_resource(
        value_set(
            "snomed-minus-branch",
            {
                "include": [{"system": SNOMED, "concept": [{"code": "35489007"}, {"code": "191736004"}]}],
                "exclude": [{"system": SNOMED, "filter": [{"property": "concept", "op": "is-a", "value": "35489007"}]}],
            },
        )
    )
    membership, _ = Terminology(ctx).check(vs("snomed-minus-branch"), SNOMED, "35489007")
    assert membership is not Membership.IN


def test_import_of_an_unknown_value_set_is_unknown_not_empty(terminology: Terminology) -> None:
    assert terminology.check(vs("imports-unknown"), CS, "active")[0] is Membership.UNKNOWN


def test_unknown_value_set(terminology: Terminology) -> None:
    assert terminology.expand(vs("never-defined")) is None
    assert terminology.check(vs("never-defined"), CS, "active")[0] is Membership.UNKNOWN


def test_code_in_system(terminology: Terminology) -> None:
    assert terminology.code_in_system(CS, "not-attending") is Membership.IN
    assert terminology.code_in_system(CS, "bogus") is Membership.NOT_IN
    assert terminology.code_in_system(SNOMED, "35489007") is Membership.UNKNOWN


# --- bindings through the validator -----------------------------------------------------------------

PROFILE = f"{BASE}/StructureDefinition/SnomedCodedObservation"


@pytest.fixture(scope="module")
def validator(context: DefinitionContext) -> EngineValidator:
    ctx = context.overlay()
    ctx.add_resource(
        {
            "resourceType": "StructureDefinition",
            "url": PROFILE,
            "name": "SnomedCodedObservation",
            "status": "draft",
            "kind": "resource",
            "abstract": False,
            "type": "Observation",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {
                        "id": "Observation.code",
                        "path": "Observation.code",
                        "binding": {"strength": "required", "valueSet": vs("snomed-and-local")},
                    },
                    {
                        "id": "Observation.status",
                        "path": "Observation.status",
                        "binding": {"strength": "required", "valueSet": vs("snomed")},
                    },
                ]
            },
        }
    )
    return EngineValidator(ctx)


def observation(*codings: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": {"profile": [PROFILE]},
        "status": "final",
        "code": {"coding": list(codings)},
    }


def code_issues(validator: EngineValidator, resource: dict[str, Any]) -> list[tuple[str, str]]:
    issues = validator.validate(resource).issues
    return [(i.severity, i.text) for i in issues if i.expression == "Observation.code"]


def test_required_binding_to_snomed_is_a_warning_not_an_error(validator: EngineValidator) -> None:
    found = code_issues(validator, observation({"system": SNOMED, "code": "35489007"}))
    assert [severity for severity, _ in found] == ["warning"]
    assert "could not be checked" in found[0][1]


def test_required_binding_known_parts_still_decide(validator: EngineValidator) -> None:
    assert code_issues(validator, observation({"system": CS, "code": "closed"})) == []
    wrong_system = code_issues(validator, observation({"system": OTHER, "code": "35489007"}))
    assert [severity for severity, _ in wrong_system] == ["error"]
    assert "None of the codings provided are in the value set" in wrong_system[0][1]
    # one coding in the value set is enough
    both = observation({"system": OTHER, "code": "x"}, {"system": CS, "code": "closed"})
    assert code_issues(validator, both) == []


def test_required_binding_of_a_plain_code_to_snomed(validator: EngineValidator) -> None:
    # a bare code has no system: it cannot be shown to be outside a SNOMED value set
    issues = validator.validate(observation({"system": CS, "code": "closed"})).issues
    status = [i for i in issues if i.expression == "Observation.status"]
    assert [i.severity for i in status] == ["warning"]


def test_unknown_code_in_a_loaded_code_system_is_an_error(validator: EngineValidator) -> None:
    issues = validator.validate(observation({"system": CS, "code": "bogus"})).issues
    unknown = [i for i in issues if i.text == f"Unknown code 'bogus' in the CodeSystem '{CS}'"]
    assert [(i.severity, i.expression) for i in unknown] == [("error", "Observation.code.coding[0].code")]


MIMETYPES = "http://hl7.org/fhir/ValueSet/mimetypes"


@pytest.mark.parametrize(
    ("code", "member"),
    [
        ("application/fhir+json", True),
        ("text/plain; charset=UTF-8", True),  # R4's own example of a contentType
        ('multipart/form-data; boundary="a b"', True),
        ("TEXT/PLAIN", True),  # media types are case-insensitive
        ("application/vnd.ms-excel", True),
        ("nonsense", False),
        ("a/b/c", False),
        ("text/", False),
        ("text/plain;", False),
    ],
)
def test_media_types_are_decided_by_their_grammar(core_validator: Validator, code: str, member: bool) -> None:
    # BCP 13 lists no codes: a value set of the whole system holds what RFC 6838's grammar
    # accepts, decided offline, so an attachment is neither warned of as unchecked nor, with
    # a media type that is none, let through
    terminology = Terminology(core_validator.context)
    expected = Membership.IN if member else Membership.NOT_IN
    assert terminology.check(MIMETYPES, None, code)[0] is expected
    assert terminology.check(MIMETYPES, "urn:ietf:bcp:13", code)[0] is expected
