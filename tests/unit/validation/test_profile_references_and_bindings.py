"""Profile rules on references and bindings that the HL7 peer suite exercises: a target
profile no loaded package defines, a reference's aggregation (contained, bundled,
referenced), R5 additional bindings carried by extension, and a profile invariant written
from its resource's type name. One small Organization profile holds them all."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhircare.validation.api import Validator
from fhircare.validation.engine import Validator as EngineValidator
from fhircare.validation.issues import Issue

CORE = "http://hl7.org/fhir/StructureDefinition/"
PROFILE = "https://fhir.fhircare.test/StructureDefinition/TestOrganization"
PARENT = "https://fhir.fhircare.test/StructureDefinition/TestParentOrganization"
NOT_LOADED = "https://fhir.fhircare.test/StructureDefinition/NotLoadedEndpoint"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PROVIDERS = "https://fhir.fhircare.test/ValueSet/providers"
ADDITIONAL = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>A trust</p></div>'}


def _additional(purpose: str) -> dict[str, Any]:
    return {
        "url": ADDITIONAL,
        "extension": [{"url": "purpose", "valueCode": purpose}, {"url": "valueSet", "valueCanonical": PROVIDERS}],
    }


def _organization_profile(url: str, name: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": url,
        "name": name,
        "status": "draft",
        "kind": "resource",
        "abstract": False,
        "type": "Organization",
        "baseDefinition": CORE + "Organization",
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def _profile(purpose: str) -> dict[str, Any]:
    return _organization_profile(
        f"{PROFILE}-{purpose}",
        "TestOrganization",
        [
            {
                "id": "Organization",
                "path": "Organization",
                "constraint": [
                    {
                        "key": "to-1",
                        "severity": "error",
                        "human": "An organisation is named",
                        "expression": "Organization.name.exists()",
                    }
                ],
            },
            {
                "id": "Organization.type",
                "path": "Organization.type",
                "binding": {
                    "strength": "example",
                    "valueSet": "http://hl7.org/fhir/ValueSet/organization-type",
                    "extension": [_additional(purpose)],
                },
            },
            {
                "id": "Organization.partOf",
                "path": "Organization.partOf",
                "type": [{"code": "Reference", "targetProfile": [PARENT], "aggregation": ["contained"]}],
            },
            {
                "id": "Organization.endpoint",
                "path": "Organization.endpoint",
                "type": [{"code": "Reference", "targetProfile": [NOT_LOADED], "aggregation": ["bundled"]}],
            },
        ],
    )


PARENT_PROFILE = _organization_profile(
    PARENT, "TestParentOrganization", [{"id": "Organization.name", "path": "Organization.name", "min": 1}]
)

PROVIDERS_VS = {
    "resourceType": "ValueSet",
    "url": PROVIDERS,
    "name": "Providers",
    "title": "Providers",
    "status": "active",
    "compose": {"include": [{"system": ORG_TYPE, "concept": [{"code": "prov"}]}]},
}


@pytest.fixture(scope="module")
def validator(core_validator: Validator) -> EngineValidator:
    ctx = core_validator.context.overlay()
    ctx.add_resource(PROVIDERS_VS)
    ctx.add_resource(PARENT_PROFILE)
    for purpose in ("maximum", "extensible", "minimum"):
        ctx.add_resource(_profile(purpose))
    return EngineValidator(ctx)


def organization(purpose: str = "maximum", **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": "o1",
        "meta": {"profile": [f"{PROFILE}-{purpose}"]},
        "text": NARRATIVE,
        "name": "A trust",
        "type": [{"coding": [{"system": ORG_TYPE, "code": "prov"}]}],
    }
    for key, value in changes.items():
        if value is None:
            resource.pop(key)
        else:
            resource[key] = value
    return resource


def in_bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"https://trust.test/fhir/{r['resourceType']}/{r['id']}", "resource": copy.deepcopy(r)}
            for r in resources
        ],
    }


ENDPOINT = {
    "resourceType": "Endpoint",
    "id": "e1",
    "text": NARRATIVE,
    "status": "active",
    "connectionType": {
        "system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
        "code": "hl7-fhir-rest",
    },
    "payloadType": [{"text": "care plans"}],
    "address": "https://trust.test/fhir",
}


def errors(validator: EngineValidator, resource: dict[str, Any]) -> list[tuple[str, str]]:
    issues: list[Issue] = validator.validate(resource).issues
    return [(i.expression, i.text) for i in issues if i.is_error]


def test_a_conforming_organization_passes(validator: EngineValidator) -> None:
    assert errors(validator, organization()) == []


def test_a_resolved_target_whose_target_profile_is_not_loaded_is_an_error(validator: EngineValidator) -> None:
    bundle = in_bundle(organization(endpoint=[{"reference": "Endpoint/e1"}]), ENDPOINT)
    found = errors(validator, bundle)
    where = "Bundle.entry[0].resource/*Organization/o1*/.endpoint[0]"
    assert (where, f"Unable to resolve the profile reference '{NOT_LOADED}'") in [
        (e, t[: t.find("' ") + 1]) for e, t in found
    ]
    assert (where, "Invalid Resource target type. Found Endpoint, but expected one of ([])") in found
    assert len(found) == 2, found


def test_an_unresolved_reference_is_not_judged_by_a_target_profile_not_loaded(validator: EngineValidator) -> None:
    # nothing is known of an external target: only the aggregation speaks (bundled: not found)
    found = errors(validator, organization(endpoint=[{"reference": "https://elsewhere.test/fhir/Endpoint/e9"}]))
    assert found == [
        (
            "Organization.endpoint[0]",
            "Bundled or contained reference not found within the bundle/resource https://elsewhere.test/fhir/Endpoint/e9",
        )
    ]


def test_aggregation_contained_allows_a_contained_target(validator: EngineValidator) -> None:
    parent = {"resourceType": "Organization", "id": "parent", "name": "An ICB"}
    assert errors(validator, organization(contained=[parent], partOf={"reference": "#parent"})) == []


def test_aggregation_contained_refuses_a_target_elsewhere_in_the_bundle(validator: EngineValidator) -> None:
    parent = {"resourceType": "Organization", "id": "parent", "text": NARRATIVE, "name": "An ICB"}
    bundle = in_bundle(organization(partOf={"reference": "Organization/parent"}), parent)
    assert errors(validator, bundle) == [
        (
            "Bundle.entry[0].resource/*Organization/o1*/.partOf",
            "Reference is bundled which isn't supported by the specified aggregation mode(s) for the reference"
            " (contained)",
        )
    ]


def test_aggregation_contained_refuses_a_target_on_a_server(validator: EngineValidator) -> None:
    found = errors(validator, organization(partOf={"reference": "Organization/parent"}))
    assert [e for e, _ in found] == ["Organization.partOf"]
    assert found[0][1].startswith("Bundled or contained reference not found")


@pytest.mark.parametrize(
    ("purpose", "severity"),
    [("maximum", "error"), ("extensible", "warning"), ("minimum", None)],
)
def test_additional_binding_by_its_purpose(validator: EngineValidator, purpose: str, severity: str | None) -> None:
    resource = organization(purpose, type=[{"coding": [{"system": ORG_TYPE, "code": "govt"}]}])
    issues = [i for i in validator.validate(resource).issues if "additional binding" in i.text]
    if severity is None:
        assert issues == []
        return
    assert [(i.severity, i.expression) for i in issues] == [(severity, "Organization.type[0]")]
    assert f"'Providers' ({PROVIDERS})" in issues[0].text
    assert f"{ORG_TYPE}#govt" in issues[0].text


def test_additional_binding_met(validator: EngineValidator) -> None:
    issues = [i for i in validator.validate(organization()).issues if "additional binding" in i.text]
    assert issues == []


def test_a_profile_invariant_written_from_the_type_name_is_evaluated(validator: EngineValidator) -> None:
    # an identifier keeps R4's own org-1 (a name or an identifier) satisfied
    found = errors(validator, organization(name=None, identifier=[{"system": "https://trust.test/ids", "value": "1"}]))
    assert [e for e, _ in found] == ["Organization"]
    assert "to-1" in found[0][1]


def test_a_contained_target_that_breaks_its_target_profile(validator: EngineValidator) -> None:
    parent = {"resourceType": "Organization", "id": "parent", "identifier": [{"value": "1"}]}
    found = errors(validator, organization(contained=[parent], partOf={"reference": "#parent"}))
    assert [e for e, _ in found] == ["Organization.partOf"]
    assert "does not conform to the target profile" in found[0][1]


def test_a_contained_target_is_judged_with_its_container(validator: EngineValidator) -> None:
    # the contained parent names a sibling contained resource (#icb): to meet partOf's target
    # profile it must be checked where '#icb' resolves, inside its container
    icb = {"resourceType": "Organization", "id": "icb", "name": "An ICB"}
    parent = {"resourceType": "Organization", "id": "parent", "name": "A trust group", "partOf": {"reference": "#icb"}}
    assert errors(validator, organization(contained=[parent, icb], partOf={"reference": "#parent"})) == []


@pytest.mark.parametrize(
    ("aggregation", "binding_extension"),
    [([None], None), ("referenced", [{"url": ADDITIONAL, "extension": None}]), (None, [None, 3])],
)
def test_malformed_aggregation_and_additional_bindings_do_not_break_validation(
    core_validator: Validator, aggregation: Any, binding_extension: Any
) -> None:
    profile = _profile("maximum")
    profile["url"] = f"{PROFILE}-malformed"
    elements = profile["differential"]["element"]
    elements[3]["type"][0]["aggregation"] = aggregation
    elements[1]["binding"]["extension"] = binding_extension
    ctx = core_validator.context.overlay()
    ctx.add_resource(PROVIDERS_VS)
    ctx.add_resource(PARENT_PROFILE)
    ctx.add_resource(profile)
    bundle = in_bundle(
        organization(meta={"profile": [f"{PROFILE}-malformed"]}, endpoint=[{"reference": "Endpoint/e1"}]), ENDPOINT
    )
    found = errors(EngineValidator(ctx), bundle)
    # no crash; the malformed parts say nothing, the target profile not loaded still does
    assert {t.split(" (")[0] for _, t in found} >= {f"Unable to resolve the profile reference '{NOT_LOADED}'"}


APPOINTMENT_PROFILE = "https://fhir.fhircare.test/StructureDefinition/TestAppointment"


@pytest.fixture(scope="module")
def appointment_validator(core_validator: Validator) -> EngineValidator:
    # the peer suite's ab-list-slicing: references sliced by the type of what they point at
    ctx = core_validator.context.overlay()
    ctx.add_resource(
        {
            "resourceType": "StructureDefinition",
            "url": APPOINTMENT_PROFILE,
            "name": "TestAppointment",
            "status": "draft",
            "kind": "resource",
            "abstract": False,
            "type": "Appointment",
            "baseDefinition": CORE + "Appointment",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {"id": "Appointment", "path": "Appointment"},
                    {
                        "id": "Appointment.supportingInformation",
                        "path": "Appointment.supportingInformation",
                        "slicing": {"discriminator": [{"type": "type", "path": "$this.resolve()"}], "rules": "closed"},
                    },
                    {
                        "id": "Appointment.supportingInformation:device",
                        "path": "Appointment.supportingInformation",
                        "sliceName": "device",
                        "max": "1",
                        "type": [{"code": "Reference", "targetProfile": [CORE + "Device"]}],
                    },
                ]
            },
        }
    )
    return EngineValidator(ctx)


def _appointment(contained: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": "a1",
        "text": NARRATIVE,
        "contained": [contained],
        "status": "proposed",
        "supportingInformation": [{"reference": f"#{contained['id']}"}],
        "participant": [{"actor": {"display": "Fred"}, "status": "accepted"}],
    }


def test_a_reference_sliced_by_the_type_it_resolves_to_matches_its_slice(
    appointment_validator: EngineValidator,
) -> None:
    device = {"resourceType": "Device", "id": "d1", "deviceName": [{"name": "pump", "type": "user-friendly-name"}]}
    result = appointment_validator.validate(_appointment(device), [APPOINTMENT_PROFILE])
    assert [i.text for i in result.issues if i.is_error] == []


def test_a_reference_to_another_type_matches_no_slice_of_the_closed_slicing(
    appointment_validator: EngineValidator,
) -> None:
    location = {"resourceType": "Location", "id": "l1", "name": "Ward 3"}
    result = appointment_validator.validate(_appointment(location), [APPOINTMENT_PROFILE])
    assert [(i.expression, "does not match any known slice" in i.text) for i in result.issues if i.is_error] == [
        ("Appointment.supportingInformation[0]", True)
    ]
