"""A StructureDefinition validated as the profile it defines (structure_definitions.py),
and a profile whose differential cannot be placed, used to validate a resource.

The HL7 validator's texts and locations (its peer-suite case StructureDefinition-Slice23
gives the three kinds of error together); each kind is pinned here on a small profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.settings import Settings
from fhircare.validation.api import Validator
from fhircare.validation.engine import Validator as EngineValidator
from fhircare.validation.issues import IssueSink
from fhircare.validation.packages import CORE_PACKAGE, PackageCache
from fhircare.validation.structure_definitions import check_structure_definition

CORE = "http://hl7.org/fhir/StructureDefinition/"
URL = "https://fhir.fhircare.test/StructureDefinition/"
UKCORE = Path(__file__).resolve().parents[4] / "shared" / "ukcore" / "package"


def _profile(type_name: str, elements: list[dict[str, Any]], name: str = "TestProfile") -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": URL + name,
        "name": name,
        "status": "draft",
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": type_name,
        "baseDefinition": CORE + type_name,
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def _sliced(path: str, discriminator: str, types: list[str] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "id": path,
        "path": path,
        "slicing": {"discriminator": [{"type": "value", "path": discriminator}], "rules": "open"},
    }
    if types is not None:
        element["type"] = [{"code": t} for t in types]
    return element


def _errors(validator: Validator | EngineValidator, resource: dict[str, Any], *profiles: str) -> list[tuple[str, str]]:
    result = validator.validate(resource, list(profiles))
    return [(i.expression, i.text) for i in result.issues if i.is_error]


@pytest.mark.parametrize(
    ("path", "types", "discriminator"),
    [
        ("Patient.identifier", ["Identifier"], "system"),
        ("Patient.identifier", ["Identifier"], "type.coding.code"),
        ("Observation.component", ["BackboneElement"], "code.coding.code"),
        ("Observation.component", ["BackboneElement"], "value.ofType(Quantity).code"),
        ("Observation.component", ["BackboneElement"], "value"),
        ("Patient.extension", ["Extension"], "url"),
        ("Patient.extension", ["Extension"], "extension('https://x.test/e').value"),
        ("Observation.subject", ["Reference"], "resolve()"),
        ("Observation.subject", ["Reference"], "reference"),
        ("Patient.identifier", ["Identifier"], "$this"),
        ("Patient.identifier", None, "no-such-thing"),  # no types named: nothing to judge by
    ],
)
def test_a_discriminator_path_the_sliced_element_has_is_accepted(
    core_validator: Validator, path: str, types: list[str] | None, discriminator: str
) -> None:
    sd = _profile(path.split(".")[0], [_sliced(path, discriminator, types)])
    assert _errors(core_validator, sd) == []


@pytest.mark.parametrize(
    ("path", "types", "discriminator"),
    [
        ("Patient.identifier", ["Identifier"], "sytem"),
        ("Observation.component", ["BackboneElement"], "code.codings.code"),
        ("Observation.component", ["BackboneElement"], "value.ofType(Quantity).units"),
        ("Patient.extension", ["Extension"], "type"),
    ],
)
def test_a_discriminator_path_that_names_nothing_is_an_error_on_the_discriminator(
    core_validator: Validator, path: str, types: list[str], discriminator: str
) -> None:
    sd = _profile(path.split(".")[0], [_sliced(path, discriminator, types)])
    assert _errors(core_validator, sd) == [
        (
            "StructureDefinition.differential.element[0].slicing.discriminator[0]",
            f"The discriminator path '{discriminator}' does not appear to be valid for the element "
            f"that is being sliced '{path}'",
        )
    ]


def test_the_snapshot_of_a_profile_is_checked_as_well_as_its_differential(core_validator: Validator) -> None:
    sd = _profile("Patient", [{"id": "Patient", "path": "Patient"}])
    sd["snapshot"] = {
        "element": [{"id": "Patient", "path": "Patient"}, _sliced("Patient.identifier", "sytem", ["Identifier"])]
    }
    slicing_errors = [where for where, text in _errors(core_validator, sd) if "discriminator path" in text]
    assert slicing_errors == ["StructureDefinition.snapshot.element[1].slicing.discriminator[0]"]


NO_MATCH = (
    "No match found for {} in the generated snapshot: check that the path and definitions are legal in the "
    "differential (including order)"
)


def _summary(url: str, named: str) -> str:
    return (
        f"The profile {url} has 1 element in the differential ({named}) that don't have a matching element in the "
        "snapshot: check that the path and definitions are legal in the differential (including order)"
    )


def test_a_differential_element_that_matches_nothing_is_an_error_where_it_is(core_validator: Validator) -> None:
    sd = _profile(
        "Patient",
        [
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            {"id": "Patient.gendr", "path": "Patient.gendr", "min": 1},
        ],
    )
    assert _errors(core_validator, sd) == [
        ("StructureDefinition.differential.element[1]", NO_MATCH.format("Patient.gendr")),
        ("StructureDefinition", _summary(sd["url"], "id: Patient.gendr")),
    ]


def test_a_differential_element_out_of_the_base_order_is_an_error_where_it_is(core_validator: Validator) -> None:
    # birthDate comes after identifier in Patient: walking the base and the differential
    # together, the HL7 validator never reaches it (peer-suite case ai8)
    sd = _profile(
        "Patient",
        [
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1},
        ],
    )
    assert _errors(core_validator, sd) == [
        ("StructureDefinition.differential.element[0]", NO_MATCH.format("Patient.birthDate")),
        ("StructureDefinition", _summary(sd["url"], "id: Patient.birthDate")),
    ]


def test_a_profile_listed_out_of_order_is_still_applied_in_full(core_validator: Validator) -> None:
    # fhircare places what the HL7 validator would drop: the rule is checked, no warning
    sd = _profile(
        "Patient",
        [
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
            {"id": "Patient.identifier", "path": "Patient.identifier", "min": 1},
        ],
        name="OutOfOrder",
    )
    ctx = core_validator.context.overlay()
    ctx.add_resource(sd)
    result = EngineValidator(ctx).validate({"resourceType": "Patient", "identifier": [{"value": "1"}]}, [sd["url"]])
    assert [i.text for i in result.issues if i.is_error] == [
        f"Patient.birthDate: minimum required = 1, but only found 0 (from {sd['url']})"
    ]
    assert [i for i in result.issues if "not checked in full" in i.text] == []


@pytest.mark.parametrize(
    ("types", "constraint", "what"),
    [
        (["date"], {"binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/x"}}, "Binding"),
        (["Reference"], {"maxLength": 10}, "MaxLength"),
        (["string"], {"minValueInteger": 1}, "MinValue"),
        (["Identifier"], {"maxValueDate": "2020-01-01"}, "MaxValue"),
        (
            ["integer"],
            {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}]},
            "Max Decimal Places Extension",
        ),
    ],
)
def test_a_constraint_no_type_of_the_element_can_carry_is_an_error_on_the_element(
    core_validator: Validator, types: list[str], constraint: dict[str, Any], what: str
) -> None:
    element = {
        "id": "Patient.birthDate",
        "path": "Patient.birthDate",
        "type": [{"code": t} for t in types],
        **constraint,
    }
    assert (
        "StructureDefinition.differential.element[0]",
        f"This element has a {what} but the types [{', '.join(types)}] do not make this kind of constraint relevant",
    ) in _errors(core_validator, _profile("Patient", [element]))


@pytest.mark.parametrize(
    ("types", "constraint"),
    [
        (["code"], {"binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/x"}}),
        (
            ["date", "CodeableConcept"],
            {"binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/x"}},
        ),
        (["string"], {"maxLength": 10}),
        (["date"], {"minValueDate": "2020-01-01"}),
        ([], {"binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/x"}}),
    ],
)
def test_a_constraint_a_type_of_the_element_can_carry_is_accepted(
    core_validator: Validator, types: list[str], constraint: dict[str, Any]
) -> None:
    element = {"id": "Patient.birthDate", "path": "Patient.birthDate", **constraint}
    if types:
        element["type"] = [{"code": t} for t in types]
    assert [e for e in _errors(core_validator, _profile("Patient", [element])) if "relevant" in e[1]] == []


def test_a_slice_that_redefines_the_slicing_in_force_is_an_error_on_the_profile(core_validator: Validator) -> None:
    sliced = _sliced("Patient.identifier", "system", ["Identifier"])
    sliced["slicing"]["ordered"] = False
    again = {
        "id": "Patient.identifier:nhs",
        "path": "Patient.identifier",
        "sliceName": "nhs",
        "slicing": {"discriminator": [{"type": "value", "path": "value"}], "rules": "open"},
    }
    assert _errors(core_validator, _profile("Patient", [sliced, again])) == [
        (
            "StructureDefinition",
            "The element at Patient.identifier defines the slicing unordered/open [value=system] but then an "
            "element in the slicing Patient.identifier:nhs tries to redefine the slicing to ??/open [value=value]",
        )
    ]


def test_a_slice_that_repeats_the_slicing_in_force_is_accepted(core_validator: Validator) -> None:
    sliced = _sliced("Patient.identifier", "system", ["Identifier"])
    again = {**sliced, "id": "Patient.identifier:nhs", "sliceName": "nhs"}
    assert _errors(core_validator, _profile("Patient", [sliced, again])) == []


def _profile_folders() -> list[Path]:
    settings = Settings()
    folders = [PackageCache.from_settings(settings).ensure(CORE_PACKAGE)]
    if settings.profiles_package is not None:
        folders.append(settings.profiles_package)
    if UKCORE.is_dir():
        folders.append(UKCORE)
    return folders


#: the two of R4 core's example profiles that are not valid profiles, as the HL7 validator
#: also reports: both constrain the Composition resource but say they are of kind complex-type
R4_EXAMPLES_OF_THE_WRONG_KIND = {
    "StructureDefinition-example-composition.json": {"The kind complex-type", "constrains a kind of resource"},
    "StructureDefinition-example-section-library.json": {"The kind complex-type", "constrains a kind of resource"},
}


def test_every_profile_fhircare_holds_is_a_valid_profile(core_validator: Validator) -> None:
    # fhircare's own profiles, the core package's constraints (vital signs, ...) and UK
    # Core's: the HL7 validator accepts them all (but two), so the checks of a profile must too
    ctx = core_validator.context.overlay()
    if UKCORE.is_dir():
        ctx.add_folder(UKCORE)
    validator = EngineValidator(ctx)
    checked = 0
    for folder in _profile_folders():
        for file in sorted(folder.glob("StructureDefinition-*.json")):
            sd = orjson.loads(file.read_bytes())
            if sd.get("derivation") != "constraint":
                continue
            checked += 1
            sink = IssueSink()
            check_structure_definition(sd, "StructureDefinition", sink, validator.definitions)
            expected = R4_EXAMPLES_OF_THE_WRONG_KIND.get(file.name, set())
            found = {fragment for i in sink.issues for fragment in expected if fragment in i.text}
            assert found == expected, file.name
            assert [i.text for i in sink.issues if not any(f in i.text for f in expected)] == [], file.name
    assert checked > 40


def test_a_profile_used_with_an_element_that_matches_nothing_warns_that_it_is_not_checked_in_full(
    core_validator: Validator,
) -> None:
    # the rule on the misspelt element is never checked: the resource must not seem to meet it
    sd = _profile(
        "Patient",
        [
            {"id": "Patient.gendr", "path": "Patient.gendr", "min": 1},
            {"id": "Patient.active", "path": "Patient.active", "min": 1},
        ],
        name="Misspelt",
    )
    ctx = core_validator.context.overlay()
    ctx.add_resource(sd)
    result = EngineValidator(ctx).validate({"resourceType": "Patient", "active": True}, [sd["url"]])
    warnings = [(i.expression, i.text) for i in result.issues if i.severity == "warning"]
    assert (
        "Patient",
        f"The profile {sd['url']} is not checked in full: No match found for Patient.gendr in the generated "
        "snapshot: check that the path and definitions are legal in the differential (including order)",
    ) in warnings
    assert not any(i.is_error for i in result.issues)


_JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.sampled_from(["", ".", ":", "Patient..x", "Patient.identifier", "Patient.identifier:nhs", "$this", "resolve()"]),
    st.sampled_from(
        ["value.ofType(Quantity).code", "extension('x').value", "Patient.name.given:g", "Observation.code"]
    ),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_SLICING = st.fixed_dictionaries(
    {},
    optional={
        "discriminator": st.one_of(_JUNK, st.lists(st.fixed_dictionaries({"type": _JUNK, "path": _JUNK}), max_size=2)),
        "rules": _JUNK,
        "ordered": _JUNK,
    },
)
_TYPE = st.fixed_dictionaries(
    {"code": st.one_of(st.sampled_from(["HumanName", "boolean", "Identifier"]), _JUNK)},
    optional={"profile": st.one_of(_JUNK, st.lists(_JUNK, max_size=2)), "targetProfile": _JUNK},
)
_PATHS = ["Patient.identifier", "Patient.extension", "Patient", "Patient.name", "Patient.name.given"]
_PATHS += ["Patient.deceased[x]", "Patient.deceasedBoolean"]
_ELEMENT = st.fixed_dictionaries(
    {"path": st.one_of(st.sampled_from(_PATHS), _JUNK)},
    optional={
        "id": st.one_of(st.sampled_from(_PATHS), _JUNK),
        "sliceName": _JUNK,
        "slicing": st.one_of(_SLICING, _JUNK),
        "type": st.one_of(_JUNK, st.lists(st.one_of(_TYPE, _JUNK), max_size=2)),
        "constraint": st.one_of(_JUNK, st.lists(st.one_of(_JUNK, st.fixed_dictionaries({"key": _JUNK})), max_size=2)),
        "binding": _JUNK,
        "maxLength": _JUNK,
        "minValueInteger": _JUNK,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(elements=st.lists(st.one_of(_ELEMENT, _JUNK), min_size=1, max_size=5))
def test_a_profile_of_any_shape_is_reported_on_never_crashes(core_validator: Validator, elements: list[Any]) -> None:
    # a hand-written profile handed to `fhircare validate` may be anything: each problem is an
    # issue, and the walk always finishes
    sd = _profile("Patient", elements)
    result = core_validator.validate(sd)
    assert all(i.expression.startswith("StructureDefinition") for i in result.issues)


@pytest.mark.parametrize(
    "elements",
    [
        # what a fresh-eyes review found crashing the generator: values of the wrong shape
        # where it follows types, profiles and constraints
        [{"id": "Patient.name", "path": "Patient.name", "constraint": ["x"]}],
        [
            {"id": "Patient.name", "path": "Patient.name", "type": ["HumanName"]},
            {"id": "Patient.name.given", "path": "Patient.name.given"},
        ],
        [
            {"id": "Patient.name", "path": "Patient.name", "type": [{"code": "HumanName", "profile": {"a": 1}}]},
            {"id": "Patient.name.given", "path": "Patient.name.given"},
        ],
        [
            {"id": "Patient.name", "path": "Patient.name", "type": [{"code": 5}]},
            {"id": "Patient.name.given", "path": "Patient.name.given"},
        ],
        [
            {"id": "Patient.deceased[x]", "path": "Patient.deceased[x]", "type": [{"code": 5}, {"code": "boolean"}]},
            {"id": "Patient.deceasedBoolean:x", "path": "Patient.deceasedBoolean", "sliceName": "x"},
        ],
    ],
)
def test_a_differential_of_the_wrong_shape_is_reported_not_raised(
    core_validator: Validator, elements: list[dict[str, Any]]
) -> None:
    sd = _profile("Patient", elements)
    assert [i for i in core_validator.validate(sd).issues if i.severity == "fatal"] == []
    ctx = core_validator.context.overlay()
    ctx.add_resource(sd)  # and used as a profile: a clear error, not a crash
    result = EngineValidator(ctx).validate({"resourceType": "Patient"}, [sd["url"]])
    assert all(i.expression == "Patient" for i in result.issues if i.is_error)


def test_a_profile_of_another_kind_or_type_than_its_base_is_an_error(core_validator: Validator) -> None:
    wrong_kind = {**_profile("Patient", [{"id": "Patient", "path": "Patient"}]), "kind": "complex-type"}
    assert [text for where, text in _errors(core_validator, wrong_kind) if where == "StructureDefinition"] == [
        "The kind complex-type must be the same as the kind resource in the base structure "
        "http://hl7.org/fhir/StructureDefinition/Patient (base type = Patient)",
        "The structure definition constrains a kind of resource, but has a different kind (complex-type)",
    ]
    wrong_type = {**_profile("Patient", [{"id": "Patient", "path": "Patient"}]), "type": "Person"}
    assert (
        "StructureDefinition",
        "The type Person must be the same as the type in the base structure "
        "http://hl7.org/fhir/StructureDefinition/Patient that is being constrained",
    ) in _errors(core_validator, wrong_type)


def _derived_extension(url_element: dict[str, Any]) -> dict[str, Any]:
    sd = _profile("Extension", [{"id": "Extension.url", "path": "Extension.url", **url_element}], "BirthPlace2")
    return {
        **sd,
        "kind": "complex-type",
        "baseDefinition": CORE + "patient-birthPlace",
        "context": [{"type": "element", "expression": "Patient"}],
    }


def test_a_profile_may_restate_its_base_fixed_value_but_not_change_it(core_validator: Validator) -> None:
    # HL7's ext-derived: an extension profiled from another that fixes its url to its own
    # url; no extension can then meet both, and the base still applies where it is used
    changed = _derived_extension({"fixedUri": URL + "BirthPlace2"})
    assert _errors(core_validator, changed) == [
        (
            "StructureDefinition.differential.element[0].fixedUri",
            f"Value is '{URL}BirthPlace2' but is fixed to '{CORE}patient-birthPlace' in the base profile, "
            f"because the value must match the fixed value defined in '{CORE}patient-birthPlace'",
        )
    ]
    other_type = _derived_extension({"fixedString": CORE + "patient-birthPlace"})
    assert [e for e, _ in _errors(core_validator, other_type)] == [
        "StructureDefinition.differential.element[0].fixedString"
    ] * 2  # not the base's type, nor the element's (the HL7 validator says both)
    assert _errors(core_validator, _derived_extension({"fixedUri": CORE + "patient-birthPlace"})) == []


@pytest.mark.parametrize(
    ("element", "kind", "wrong", "valid"),
    [
        (
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "fixedString": "2000-01-01"},
            "fixed",
            "string",
            "date",
        ),
        ({"id": "Patient.gender", "path": "Patient.gender", "patternInteger": 3}, "pattern", "integer", "code"),
    ],
)
def test_a_fixed_or_pattern_value_of_another_type_than_the_element_is_an_error(
    core_validator: Validator, element: dict[str, Any], kind: str, wrong: str, valid: str
) -> None:
    # the HL7 validator's text (asked of it); it names the profile, fhircare the value
    key = next(k for k in element if k.startswith(kind))
    assert _errors(core_validator, _profile("Patient", [element])) == [
        (
            f"StructureDefinition.differential.element[0].{key}",
            f"The {kind} value has type '{wrong}' which is not valid (valid type: [{valid}])",
        )
    ]
