"""The walker end to end: small resources through a validator over the core R4 package."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.validation import engine, extensions
from fhircare.validation.api import Validator
from fhircare.validation.engine import Validator as EngineValidator
from fhircare.validation.issues import Issue, ValidationResult

CORE = "http://hl7.org/fhir/StructureDefinition/"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
MARITAL = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
UUID_A = "urn:uuid:2b4a8c8e-4b77-4e6b-9b1a-3e2c6a1f0d11"
UUID_B = "urn:uuid:3b4a8c8e-4b77-4e6b-9b1a-3e2c6a1f0d11"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Jane Smith</p></div>'}


def run(validator: EngineValidator, resource: Any, profiles: Sequence[str] = ()) -> list[Issue]:
    result = validator.validate(resource, profiles)
    assert isinstance(result, ValidationResult)
    for issue in result.issues:
        assert issue.expression, issue  # every issue says where it is
    return result.issues


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


def only(issues: list[Issue], severity: str = "error") -> Issue:
    """The one issue of that severity (the case under test should raise exactly one)."""
    found = [i for i in issues if i.severity == severity]
    assert len(found) == 1, issues
    return found[0]


#: a narrative, so that a resource here is not warned of for lacking one (dom-6)
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>A plan</p></div>'}


def careplan(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "CarePlan",
        "text": NARRATIVE,
        "status": "active",
        "intent": "plan",
        "subject": {"reference": "Patient/1"},
        **extra,
    }


# --- structure ------------------------------------------------------------------------------


def test_a_valid_resource_has_no_errors(core_validator: Validator) -> None:
    issues = run(
        core_validator,
        {
            "resourceType": "Patient",
            "id": "p1",
            "text": NARRATIVE,
            "identifier": [{"system": NHS, "value": "9000000009"}],
            "name": [{"family": "Smith", "given": ["Jane"]}],
            "gender": "female",
            "birthDate": "1980-02-29",
        },
    )
    assert errors(issues) == []


def test_unknown_property(core_validator: Validator) -> None:
    issue = only(run(core_validator, {"resourceType": "Patient", "favouriteColour": "blue"}))
    assert (issue.expression, issue.code) == ("Patient", "structure")
    assert "Unrecognized property 'favouriteColour'" in issue.text


def test_unknown_property_inside_a_backbone_element(core_validator: Validator) -> None:
    resource = careplan(activity=[{"detail": {"status": "scheduled", "bogus": 1}}])
    issue = only(run(core_validator, resource))
    assert issue.expression == "CarePlan.activity[0].detail"
    assert "'bogus'" in issue.text


def test_object_where_an_array_is_expected(core_validator: Validator) -> None:
    # at the property, in the HL7 validator's words
    issue = only(run(core_validator, {"resourceType": "Patient", "name": {"family": "Smith"}}))
    assert issue.expression == "Patient.name"
    assert issue.text == "The property name must be a JSON Array, not an Object (at Patient)"


def test_array_where_a_single_value_is_expected(core_validator: Validator) -> None:
    issue = only(run(core_validator, {"resourceType": "Patient", "gender": ["female"]}))
    assert issue.expression == "Patient.gender"
    assert issue.text == "This property must be a simple value, not an Array (gender at Patient.gender)"
    issue = only(run(core_validator, {"resourceType": "Patient", "maritalStatus": [{"text": "married"}]}))
    assert issue.expression == "Patient.maritalStatus"
    assert issue.text == "The property maritalStatus must be an Object, not an Array (at Patient.maritalStatus)"


def test_empty_array(core_validator: Validator) -> None:
    issue = only(run(core_validator, {"resourceType": "Patient", "identifier": []}))
    assert issue.expression == "Patient.identifier"
    assert "Array cannot be empty" in issue.text


def test_missing_required_element_is_reported_on_the_parent(core_validator: Validator) -> None:
    issue = only(run(core_validator, {"resourceType": "Observation", "status": "final"}))
    assert (issue.expression, issue.code) == ("Observation", "required")
    assert issue.text.startswith("Observation.code: minimum required = 1, but only found 0")


def test_missing_required_element_in_a_backbone_element(core_validator: Validator) -> None:
    issue = only(run(core_validator, careplan(activity=[{"detail": {"kind": "Appointment"}}])))
    assert issue.expression == "CarePlan.activity[0].detail"
    assert issue.text.startswith("CarePlan.activity.detail.status: minimum required = 1")


@pytest.mark.parametrize(
    ("resource", "expression", "gist"),
    [
        ({"resourceType": "Patient", "birthDate": "2021-02-30"}, "Patient.birthDate", "Not a valid date"),
        ({"resourceType": "Patient", "active": "true"}, "Patient.active", "must be a boolean"),
        ({"resourceType": "Patient", "multipleBirthInteger": 2**31}, "Patient.multipleBirth.ofType(integer)", "32-bit"),
        ({"resourceType": "Patient", "name": [{"given": ["A", 1]}]}, "Patient.name[0].given", "must be a string"),
        ({"resourceType": "Patient", "id": "a_b"}, "Patient.id", "Invalid Resource id"),
        ({"resourceType": "Patient", "gender": None}, "Patient.gender", "must be a simple value, not a Null"),
    ],
)
def test_bad_primitive(core_validator: Validator, resource: dict[str, Any], expression: str, gist: str) -> None:
    issue = only(run(core_validator, resource))
    assert issue.expression == expression
    assert gist in issue.text


def test_choice_of_a_type_not_allowed(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "mood"},
        "valueAttachment": {"url": "http://hl7.org/fhir/a.png"},
    }
    issue = only(run(core_validator, resource))
    assert issue.expression == "Observation.value.ofType(Attachment)"
    assert "but found type Attachment" in issue.text


def test_two_types_of_one_choice(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "mood"},
        "valueString": "good",
        "valueBoolean": True,
    }
    # the first is read, the second is not (as the HL7 validator's reader does)
    issue = only(run(core_validator, resource))
    assert (issue.expression, issue.text) == ("Observation", "Unrecognized property 'valueBoolean'")


def test_required_binding_violation(core_validator: Validator) -> None:
    issue = only(run(core_validator, careplan(status="done")))
    assert (issue.expression, issue.code) == ("CarePlan.status", "code-invalid")
    assert "'done'" in issue.text
    assert "http://hl7.org/fhir/ValueSet/request-status" in issue.text


def test_primitive_extension_without_value_is_allowed(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Patient",
        "_birthDate": {"extension": [{"url": CORE + "data-absent-reason", "valueCode": "unknown"}]},
    }
    assert errors(run(core_validator, resource)) == []


def test_a_required_code_with_extensions_only_is_no_code(core_validator: Validator) -> None:
    # a gender 'unknown' by data-absent-reason says no code of administrative-gender, whose
    # own 'unknown' is the code for it: the HL7 validator reports it so, and so does fhircare
    resource = {
        "resourceType": "Patient",
        "_gender": {"extension": [{"url": CORE + "data-absent-reason", "valueCode": "unknown"}]},
    }
    assert [(i.expression, i.text) for i in errors(run(core_validator, resource))] == [
        ("Patient.gender", "No code provided, and a code is required from the value set")
    ]


# --- references and contained resources ----------------------------------------------------------


def test_contained_resource_not_referenced(core_validator: Validator) -> None:
    resource = careplan(
        contained=[{"resourceType": "Practitioner", "id": "used"}, {"resourceType": "Practitioner", "id": "orphan"}],
        author={"reference": "#used"},
    )
    issue = only(run(core_validator, resource))
    assert (issue.expression, issue.rule) == ("CarePlan.contained[1]", "dom-3")
    assert "'orphan'" in issue.text


def test_resource_level_invariant_obs_6(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "mood"},
        "valueString": "good",
        "dataAbsentReason": {"text": "not asked"},
    }
    issue = only(run(core_validator, resource))
    assert (issue.expression, issue.rule) == ("Observation", "obs-6")


def test_contained_reference_not_found(core_validator: Validator) -> None:
    issues = run(core_validator, careplan(author={"reference": "#nowhere"}))
    assert {i.expression for i in issues} == {"CarePlan.author"}
    assert any("Unable to resolve resource with reference '#nowhere'" in i.text for i in issues)
    assert any(i.rule == "ref-1" for i in issues)


def test_reference_to_a_disallowed_target_type(core_validator: Validator) -> None:
    issue = only(run(core_validator, careplan(subject={"reference": "Practitioner/1"})))
    assert issue.expression == "CarePlan.subject"
    assert "'Practitioner'" in issue.text
    assert "must be one of [Group, Patient]" in issue.text


# --- bundles ----------------------------------------------------------------------------------------


def test_bundle_relative_full_url(core_validator: Validator) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "Patient/1", "resource": {"resourceType": "Patient", "id": "1"}}],
    }
    issue = only(run(core_validator, bundle))
    assert issue.expression == "Bundle.entry[0]"
    assert "must be an absolute URL" in issue.text


def _document(*extra: dict[str, Any]) -> dict[str, Any]:
    """A care plan document: its Composition, the Patient and a plan the Composition names."""
    composition = {
        "resourceType": "Composition",
        "id": "c1",
        "status": "final",
        "type": {"text": "care plan"},
        "subject": {"reference": "Patient/p1"},
        "date": "2026-12-06",
        "author": [{"reference": "Patient/p1"}],
        "title": "Care and support plan",
        "section": [{"title": "Plan", "entry": [{"reference": "CarePlan/cp1"}]}],
    }
    plan = careplan(id="cp1", subject={"reference": "Patient/p1"})
    resources = [composition, {"resourceType": "Patient", "id": "p1"}, plan, *extra]
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3201bd-1cbf-4ab4-b1a5-8f28e4ea2eb2"},
        "type": "document",
        "timestamp": "2026-12-06T10:00:00Z",
        "entry": [
            {"fullUrl": f"https://fhir.fhircare.test/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def _reachability(validator: Validator, bundle: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.expression, i.text) for i in run(validator, bundle) if "reachable" in i.text]


def test_a_document_entry_nothing_leads_to_is_an_error(core_validator: Validator) -> None:
    """(The HL7 validator agrees, but names the entry after it: its index is off by one.)"""
    assert _reachability(core_validator, _document()) == []
    stray = {"resourceType": "Organization", "id": "o1", "name": "Not in the plan"}
    assert _reachability(core_validator, _document(stray)) == [
        (
            "error",
            "Bundle.entry[3]",
            "Entry 'https://fhir.fhircare.test/Organization/o1' isn't reachable by traversing links (forward or "
            "backward) from the Composition",
        )
    ]


def test_a_document_entry_reached_backwards_is_a_warning_unless_a_provenance(core_validator: Validator) -> None:
    provenance = {
        "resourceType": "Provenance",
        "id": "pv1",
        "target": [{"reference": "Composition/c1"}],
        "recorded": "2026-12-06T10:00:00Z",
        "agent": [{"who": {"reference": "Patient/p1"}}],
    }
    assert _reachability(core_validator, _document(provenance)) == []
    note = {"resourceType": "Basic", "id": "n1", "code": {"text": "note"}, "subject": {"reference": "Patient/p1"}}
    found = _reachability(core_validator, _document(note))
    assert [(s, e) for s, e, _ in found] == [("warning", "Bundle.entry[3]")]
    assert "isn't reachable by traversing forwards from the Composition" in found[0][2]


def test_a_documents_narrative_link_must_find_exactly_one_target(core_validator: Validator) -> None:
    """An entry saying which part of the Composition's narrative shows it (narrativeLink)."""

    def linked(fragment: str, ids: tuple[str, ...]) -> dict[str, Any]:
        document = _document()
        rows = "".join(f'<p id="{i}">plan</p>' for i in ids)
        composition = document["entry"][0]["resource"]
        composition["text"] = {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{rows}</div>'}
        link = {
            "url": "http://hl7.org/fhir/StructureDefinition/narrativeLink",
            "valueUrl": f"https://fhir.fhircare.test/Composition/c1#{fragment}",
        }
        document["entry"][2]["resource"]["extension"] = [link]
        return document

    def bundle_errors(document: dict[str, Any]) -> list[str]:
        return [i.text for i in errors(run(core_validator, document)) if i.expression == "Bundle"]

    assert bundle_errors(linked("plan-1", ("plan-1",))) == []
    assert bundle_errors(linked("plan-2", ("plan-1",))) == [
        "Can't find 'https://fhir.fhircare.test/Composition/c1' in the bundle (plan-2)"
    ]
    [twice] = bundle_errors(linked("plan-1", ("plan-1", "plan-1")))
    assert twice.startswith(
        "Found 2 matches for fragment plan-1 in resource 'https://fhir.fhircare.test/Composition/c1'"
    )


def test_bundle_duplicate_self_links(core_validator: Validator) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [
            {"relation": "self", "url": "https://fhir.example.nhs.uk/Patient?name=a"},
            {"relation": "next", "url": "https://fhir.example.nhs.uk/Patient?name=a&page=2"},
            {"relation": "self", "url": "https://fhir.example.nhs.uk/Patient?name=b"},
        ],
    }
    issue = only(run(core_validator, bundle))
    assert issue.expression == "Bundle.link[2]"
    assert "'self' can only occur once" in issue.text


def _bundle(target: dict[str, Any], reference: str, bundle_type: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {"fullUrl": UUID_A, "resource": target},
            {"fullUrl": UUID_B, "resource": careplan(subject={"reference": reference})},
        ],
    }


def test_bundle_reference_resolved_by_full_url(core_validator: Validator) -> None:
    assert errors(run(core_validator, _bundle({"resourceType": "Patient"}, UUID_A))) == []
    # a urn:uuid says nothing about type: only resolving it finds the Practitioner
    issue = only(run(core_validator, _bundle({"resourceType": "Practitioner"}, UUID_A)))
    assert issue.expression == "Bundle.entry[1].resource/*CarePlan/null*/.subject"
    assert "'Practitioner'" in issue.text


def test_document_bundle_reference_not_in_the_bundle(core_validator: Validator) -> None:
    missing = "urn:uuid:4b4a8c8e-4b77-4e6b-9b1a-3e2c6a1f0d11"
    issues = run(core_validator, _bundle({"resourceType": "Patient"}, missing, "document"))
    assert any(
        i.expression == "Bundle.entry[1].resource/*CarePlan/null*/.subject" and "Can't find" in i.text for i in issues
    )


# --- extensions -------------------------------------------------------------------------------------


def test_unknown_non_hl7_extension_is_an_error(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Patient",
        "extension": [{"url": "https://fhir.trust.nhs.uk/ext/x", "valueString": "a"}],
    }
    issue = only(run(core_validator, resource))
    assert issue.expression == "Patient.extension[0]"
    assert "could not be found" in issue.text


def test_unknown_hl7_extension_is_an_error_that_names_the_extension_pack(core_validator: Validator) -> None:
    url = CORE + "patient-notInCore"
    resource = {"resourceType": "Patient", "text": NARRATIVE, "extension": [{"url": url, "valueString": "a"}]}
    issue = only(run(core_validator, resource))
    assert issue.expression == "Patient.extension[0]"
    assert url in issue.text and "hl7.fhir.uv.extensions.r4" in issue.text


def test_extension_with_both_value_and_extensions(core_validator: Validator) -> None:
    ext = {
        "url": CORE + "patient-birthPlace",
        "valueAddress": {"city": "Leeds"},
        "extension": [{"url": "a", "valueString": "b"}],
    }
    issues = run(core_validator, {"resourceType": "Patient", "extension": [ext]})
    ext_1 = [i for i in issues if i.rule == "ext-1"]
    assert len(ext_1) == 1
    assert (ext_1[0].severity, ext_1[0].expression) == ("error", "Patient.extension[0]")


def test_extension_in_a_disallowed_context(core_validator: Validator) -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "mood"},
        "extension": [{"url": CORE + "patient-birthPlace", "valueAddress": {"city": "Leeds"}}],
    }
    issue = only(run(core_validator, resource))
    assert issue.expression == "Observation"
    assert "is not allowed to be used at this point" in issue.text
    # and the same extension where its context allows it is fine
    patient = {"resourceType": "Patient", "extension": resource["extension"]}
    assert errors(run(core_validator, patient)) == []


# --- narrative and datatype invariants -----------------------------------------------------------------


def test_narrative_with_script(core_validator: Validator) -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Jane</p><script>alert(1)</script></div>'
    issues = run(core_validator, {"resourceType": "Patient", "text": {"status": "generated", "div": div}})
    txt_1 = [i for i in issues if i.rule == "txt-1"]
    assert len(txt_1) == 1
    assert (txt_1[0].severity, txt_1[0].expression) == ("error", "Patient.text.div")


def test_period_start_after_end(core_validator: Validator) -> None:
    resource = {"resourceType": "Patient", "identifier": [{"period": {"start": "2021-01-02", "end": "2021-01-01"}}]}
    issue = only(run(core_validator, resource))
    assert (issue.expression, issue.rule) == ("Patient.identifier[0].period", "per-1")
    ok = {"resourceType": "Patient", "identifier": [{"period": {"start": "2021-01-01", "end": "2021-01-02"}}]}
    assert errors(run(core_validator, ok)) == []


# --- profiles -------------------------------------------------------------------------------------------

PROFILE = "https://fhir.fhircare.test/StructureDefinition/TestPatient"


def _test_profile() -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": PROFILE,
        "version": "0.1.0",
        "name": "TestPatient",
        "status": "draft",
        "kind": "resource",
        "abstract": False,
        "type": "Patient",
        "baseDefinition": CORE + "Patient",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Patient.identifier",
                    "path": "Patient.identifier",
                    "min": 1,
                    "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
                },
                {
                    "id": "Patient.identifier:nhs",
                    "path": "Patient.identifier",
                    "sliceName": "nhs",
                    "min": 1,
                    "max": "1",
                },
                {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "min": 1, "fixedUri": NHS},
                {"id": "Patient.identifier:nhs.value", "path": "Patient.identifier.value", "min": 1},
                {
                    "id": "Patient.name",
                    "path": "Patient.name",
                    "constraint": [
                        {
                            "key": "tp-1",
                            "severity": "error",
                            "human": "A name has a family name",
                            "expression": "family.exists()",
                        }
                    ],
                },
                {
                    "id": "Patient.telecom",
                    "path": "Patient.telecom",
                    "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "closed"},
                },
                {"id": "Patient.telecom:phone", "path": "Patient.telecom", "sliceName": "phone"},
                {"id": "Patient.telecom:phone.system", "path": "Patient.telecom.system", "fixedCode": "phone"},
                {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "female"},
                {
                    "id": "Patient.maritalStatus",
                    "path": "Patient.maritalStatus",
                    "patternCodeableConcept": {"coding": [{"system": MARITAL, "code": "M"}]},
                },
                {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            ]
        },
    }


@pytest.fixture(scope="module")
def profiled(core_validator: Validator) -> EngineValidator:
    ctx = core_validator.context.overlay()
    ctx.add_resource(_test_profile())
    assert ctx.snapshot_problems(PROFILE) == []
    return EngineValidator(ctx)


GOOD: dict[str, Any] = {
    "resourceType": "Patient",
    "meta": {"profile": [PROFILE]},
    "text": NARRATIVE,
    "identifier": [{"system": NHS, "value": "9000000009"}, {"system": "https://trust.example/id", "value": "7"}],
    "name": [{"family": "Smith"}],
    "telecom": [{"system": "phone", "value": "0113 000 0000"}],
    "gender": "female",
    "maritalStatus": {"coding": [{"system": MARITAL, "code": "M", "display": "Married"}], "text": "married"},
    "birthDate": "1980-01-01",
}


def patient(**changes: Any) -> dict[str, Any]:
    resource = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            resource.pop(key)
        else:
            resource[key] = value
    return resource


def test_conforming_instance_passes_the_profile(profiled: EngineValidator) -> None:
    assert errors(run(profiled, GOOD)) == []
    # asked for explicitly rather than claimed: the same
    assert errors(run(profiled, patient(meta=None), [PROFILE])) == []


def test_profile_min_1(profiled: EngineValidator) -> None:
    issue = only(run(profiled, patient(birthDate=None)))
    assert (issue.expression, issue.code) == ("Patient", "required")
    assert issue.text.startswith("Patient.birthDate: minimum required = 1, but only found 0")
    assert PROFILE in issue.text
    # the base resource alone does not require it
    assert errors(run(profiled, patient(birthDate=None, meta=None))) == []


def test_profile_fixed_value(profiled: EngineValidator) -> None:
    issue = only(run(profiled, patient(gender="male")))
    assert (issue.expression, issue.code) == ("Patient.gender", "value")
    assert "'male'" in issue.text and "'female'" in issue.text


def test_profile_pattern(profiled: EngineValidator) -> None:
    issue = only(run(profiled, patient(maritalStatus={"coding": [{"system": MARITAL, "code": "S"}]})))
    assert issue.expression == "Patient.maritalStatus"
    assert "does not match the pattern" in issue.text


def test_profile_required_slice_missing(profiled: EngineValidator) -> None:
    issue = only(run(profiled, patient(identifier=[{"system": "https://trust.example/id", "value": "7"}])))
    assert issue.expression == "Patient"
    assert "Patient.identifier:nhs" in issue.text
    assert "a matching slice is required, but not found" in issue.text


def test_profile_slice_content_is_checked(profiled: EngineValidator) -> None:
    # matched by system, but the slice requires a value
    issue = only(run(profiled, patient(identifier=[{"system": NHS}])))
    assert issue.expression == "Patient.identifier[0]"
    assert "Patient.identifier.value: minimum required = 1" in issue.text


def test_profile_slice_max(profiled: EngineValidator) -> None:
    two = [{"system": NHS, "value": "9000000009"}, {"system": NHS, "value": "9000000017"}]
    issue = only(run(profiled, patient(identifier=two)))
    assert issue.expression == "Patient"
    assert "Patient.identifier:nhs: max allowed = 1, but found 2" in issue.text


def test_profile_closed_slicing(profiled: EngineValidator) -> None:
    telecom = [{"system": "phone", "value": "1"}, {"system": "email", "value": "jane@example.nhs.uk"}]
    issue = only(run(profiled, patient(telecom=telecom)))
    assert issue.expression == "Patient.telecom[1]"
    assert "does not match any known slice" in issue.text and "CLOSED" in issue.text


def test_profile_only_invariant(profiled: EngineValidator) -> None:
    issue = only(run(profiled, patient(name=[{"given": ["Jane"]}])))
    assert (issue.expression, issue.rule, issue.code) == ("Patient.name[0]", "tp-1", "invariant")
    assert "A name has a family name" in issue.text
    assert errors(run(profiled, patient(name=[{"given": ["Jane"]}], meta=None))) == []


def test_claimed_unknown_profile_is_a_warning(core_validator: Validator) -> None:
    url = "https://fhir.fhircare.test/StructureDefinition/Unknown"
    issues = run(core_validator, {"resourceType": "Patient", "text": NARRATIVE, "meta": {"profile": [url]}})
    issue = only(issues, "warning")
    assert errors(issues) == []
    assert (issue.expression, issue.code) == ("Patient", "not-found")
    assert url in issue.text


def test_requested_unknown_profile_is_an_error(core_validator: Validator) -> None:
    url = "https://fhir.fhircare.test/StructureDefinition/Unknown"
    issue = only(run(core_validator, {"resourceType": "Patient"}, [url]))
    assert (issue.expression, issue.code) == ("Patient", "not-found")
    assert url in issue.text


def test_profile_for_another_type(profiled: EngineValidator) -> None:
    issue = only(run(profiled, {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}, [PROFILE]))
    assert issue.expression == "Observation"
    assert "is for Patient, not Observation" in issue.text


# --- not JSON objects, unknown types, and arbitrary JSON -------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expression", "gist"),
    [
        ([{"resourceType": "Patient"}], "$this", "not a JSON object"),
        ({"id": "x"}, "$this", "resourceType"),
        ({"resourceType": "Nonsense"}, "Nonsense", "Unknown resource type"),
        ({"resourceType": "DomainResource"}, "DomainResource", "Unknown resource type"),
    ],
)
def test_not_a_resource(core_validator: Validator, content: Any, expression: str, gist: str) -> None:
    issue = only(run(core_validator, content), "fatal")
    assert issue.expression == expression
    assert gist in issue.text


_TYPES = [
    "Patient",
    "Observation",
    "CarePlan",
    "CareTeam",
    "Bundle",
    "QuestionnaireResponse",
    "RelatedPerson",
    "Parameters",
]
_KEYS = [
    "id",
    "meta",
    "text",
    "div",
    "extension",
    "modifierExtension",
    "url",
    "valueString",
    "valueQuantity",
    "contained",
    "resourceType",
    "reference",
    "identifier",
    "system",
    "value",
    "coding",
    "code",
    "status",
    "subject",
    "entry",
    "resource",
    "fullUrl",
    "period",
    "start",
    "end",
    "item",
    "answer",
    "part",
    "_status",
    "name",
    "family",
]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["#a", UUID_A, "Patient/1", "2020-01-01", CORE + "patient-birthPlace", *_TYPES]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=5)), inner, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def arbitrary_resources(draw: st.DrawFn) -> dict[str, Any]:
    resource = draw(st.dictionaries(st.sampled_from(_KEYS), _json, max_size=6))
    resource["resourceType"] = draw(st.sampled_from(_TYPES))
    return resource


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_resources())
def test_never_raises_on_arbitrary_json(core_validator: Validator, resource: dict[str, Any]) -> None:
    result = core_validator.validate(resource)
    assert isinstance(result, ValidationResult)
    for issue in result.issues:
        assert issue.expression
        assert issue.severity in ("fatal", "error", "warning", "information")
    assert result.to_operation_outcome()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        # malformed searchsets are reported, not raised, and entries keep their own index
        ({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": ["Patient"]}}]}, None),
        ({"resourceType": "Bundle", "type": "searchset", "link": 5}, None),
        (
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "self", "url": "https://fhir.fhircare.test/Patient?name=a"}],
                "entry": [
                    None,
                    {
                        "fullUrl": "https://fhir.fhircare.test/Observation/1",
                        "resource": {
                            "resourceType": "Observation",
                            "id": "1",
                            "status": "final",
                            "code": {"text": "x"},
                        },
                        "search": {"mode": "match"},
                    },
                ],
            },
            ("Bundle.entry[1].resource", "This is not a matching resource type for the specified search (Observation"),
        ),
    ],
)
def test_search_results_of_any_shape(
    core_validator: Validator, bundle: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    issues = run(core_validator, bundle)
    assert not any(i.severity == "fatal" and "resourceType" not in i.text for i in issues)
    if expected is not None:
        assert any(i.expression == expected[0] and i.text.startswith(expected[1]) for i in issues)


def _linking_bundle(other_narrative: str) -> dict[str, Any]:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p><a href="#sec1">the plan</a></p></div>'
    patient = {"resourceType": "Patient", "id": "p1", "text": {"status": "generated", "div": div}}
    other = {
        "resourceType": "Basic",
        "id": "b1",
        "code": {"text": "note"},
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{other_narrative}</div>'},
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "https://fhir.fhircare.test/Patient/p1", "resource": patient},
            {"fullUrl": "https://fhir.fhircare.test/Basic/b1", "resource": other},
        ],
    }


def test_an_entry_whose_link_resolved_in_another_entry_is_not_remembered_for_another_bundle(
    core_validator: Validator,
) -> None:
    # the same Patient entry links to '#sec1'; only the first Bundle holds it (in another
    # entry), so the second must not be answered from what the first found
    validator = EngineValidator(core_validator.context)
    holding = _linking_bundle('<p id="sec1">Section 1</p>')
    lacking = _linking_bundle("<p>No sections</p>")
    unresolved = "Hyperlink '#sec1' at 'div/p/a' for 'the plan' does not resolve"
    assert not any(unresolved in i.text for i in validator.validate(holding).issues)
    assert any(unresolved in i.text for i in validator.validate(lacking).issues)
    assert not any(unresolved in i.text for i in validator.validate(holding).issues)


# --- remembered clean Codings -----------------------------------------------------------------

CATEGORY = {"system": "http://snomed.info/sct", "code": "736271009", "display": "Mental health crisis plan"}
BAD_MARITAL = {"system": MARITAL, "code": "ZZ", "display": "Nonsense"}


def test_a_coding_found_clean_is_not_walked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = Validator.create()
    calls: list[dict[str, Any]] = []
    real = validator.bindings.check_coding

    def counting(value: dict[str, Any], *args: Any) -> None:
        calls.append(value)
        real(value, *args)

    monkeypatch.setattr(validator.bindings, "check_coding", counting)
    for n in range(3):
        assert not errors(run(validator, careplan(id=f"c{n}", category=[{"coding": [dict(CATEGORY)]}])))
    assert len(calls) == 1


def test_a_coding_with_a_problem_is_reported_every_time_it_comes() -> None:
    validator = Validator.create()
    for n in range(3):
        issues = run(validator, {"resourceType": "Patient", "id": f"p{n}", "maritalStatus": {"coding": [BAD_MARITAL]}})
        assert any("Patient.maritalStatus.coding[0]" in i.expression for i in errors(issues)), issues


def test_a_coding_clean_in_one_element_is_still_checked_in_another() -> None:
    # the same values where the element's rules differ (meta.security is bound to the
    # security labels): remembered per element, so the second is still checked
    validator = Validator.create()
    assert not run(validator, careplan(category=[{"coding": [dict(CATEGORY)]}]))
    issues = run(validator, careplan(meta={"security": [dict(CATEGORY)]}))
    assert [i.expression for i in issues] == ["CarePlan.meta.security[0]"], issues


def test_a_coding_carrying_an_id_or_extension_is_always_walked() -> None:
    validator = Validator.create()
    with_extension = {**CATEGORY, "extension": [{"url": "http://example.org/x"}]}
    for n in range(2):
        issues = run(validator, careplan(id=f"c{n}", category=[{"coding": [dict(with_extension)]}]))
        assert any("extension" in i.expression for i in errors(issues)), issues


INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def test_a_simple_extension_found_clean_is_not_checked_again_where_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = Validator.create()
    checked: list[str] = []
    real = extensions.check_extension

    def counting(services: Any, value: dict[str, Any], node: Any, loc: str, w: Any) -> None:
        checked.append(loc)
        real(services, value, node, loc, w)

    monkeypatch.setattr(engine, "check_extension", counting)
    extension = {"url": INTERPRETER, "valueBoolean": True}
    for n in range(3):
        assert not run(
            validator, {"resourceType": "Patient", "id": f"p{n}", "text": NARRATIVE, "extension": [dict(extension)]}
        )
    assert checked == ["Patient.extension[0]"]
    # the same extension where its context does not allow it: checked, and refused
    issues = errors(run(validator, careplan(extension=[dict(extension)])))
    assert any("is not allowed to be used at this point" in i.text for i in issues), issues
    # and where its value is wrong, every time
    for n in range(2):
        bad = {"url": INTERPRETER, "valueBoolean": "yes"}
        assert errors(run(validator, {"resourceType": "Patient", "id": f"q{n}", "extension": [bad]}))


def careplan_with_schedule(timing: dict[str, Any], n: int) -> dict[str, Any]:
    return careplan(id=f"s{n}", activity=[{"detail": {"status": "scheduled", "scheduledTiming": timing}}])


def test_a_timing_found_clean_is_not_walked_again_and_a_changed_one_is(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = Validator.create()
    walked: list[str] = []
    real = validator.walk_object

    def counting(obj: Any, node: Any, type_code: str, loc: str, w: Any) -> None:
        if type_code == "Timing":
            walked.append(loc)
        real(obj, node, type_code, loc, w)

    monkeypatch.setattr(validator, "walk_object", counting)
    weekly = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}
    for n in range(3):
        assert not errors(run(validator, careplan_with_schedule(copy.deepcopy(weekly), n)))
    assert len(walked) == 1
    # the same schedule with a number of another JSON type, or breaking tim-1: still checked
    as_boolean = {"repeat": {"frequency": True, "period": 1, "periodUnit": "wk"}}  # True == 1 in Python
    assert errors(run(validator, careplan_with_schedule(as_boolean, 9)))
    broken = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk", "duration": 1}}
    assert any(i.rule == "tim-1" for i in errors(run(validator, careplan_with_schedule(broken, 10))))
