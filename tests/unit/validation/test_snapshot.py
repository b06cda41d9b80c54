"""Snapshot generation from hand-written differentials over the core R4 resources."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from fhircare.validation.api import Validator
from fhircare.validation.snapshot import generate_snapshot
from fhircare.validation.structure import CORE_SD_PREFIX

NHS = "https://fhir.nhs.uk/Id/nhs-number"
LOCAL = "https://fhir.trust.nhs.uk/Id/local"
Resolver = Callable[[str], dict[str, Any] | None]


@pytest.fixture(scope="module")
def resolve(core_validator: Validator) -> Resolver:
    ctx = core_validator.context

    def resolve(code_or_url: str) -> dict[str, Any] | None:
        return ctx.structure_definition(code_or_url if "/" in code_or_url else CORE_SD_PREFIX + code_or_url)

    return resolve


def profile(type_name: str, *elements: dict[str, Any], url: str = "http://example.org/StructureDefinition/P") -> dict:
    return {
        "resourceType": "StructureDefinition",
        "url": url,
        "name": "P",
        "type": type_name,
        "kind": "resource",
        "abstract": False,
        "derivation": "constraint",
        "baseDefinition": CORE_SD_PREFIX + type_name,
        "differential": {"element": list(elements)},
    }


def snapshot(resolve: Resolver, sd: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str], list]:
    base = resolve(sd["baseDefinition"])
    assert base is not None
    elements, problems, *_ = generate_snapshot(sd, base, resolve)
    ids = [e["id"] for e in elements]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    return {e["id"]: e for e in elements}, ids, problems


def test_new_slice_by_id_with_children(resolve: Resolver) -> None:
    by_id, ids, problems = snapshot(
        resolve,
        profile(
            "Patient",
            {
                "id": "Patient.identifier",
                "path": "Patient.identifier",
                "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
            },
            {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs", "min": 1},
            {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "fixedUri": NHS},
            {"id": "Patient.identifier:nhs.value", "path": "Patient.identifier.value", "min": 1},
        ),
    )
    assert problems == []
    nhs = by_id["Patient.identifier:nhs"]
    assert nhs["sliceName"] == "nhs"
    assert nhs["path"] == "Patient.identifier"
    assert nhs["min"] == 1
    assert "slicing" not in nhs  # the slicing belongs to the sliced element only
    assert "slicing" in by_id["Patient.identifier"]
    # the slice's children come from Identifier, under the slice's id with plain paths
    system = by_id["Patient.identifier:nhs.system"]
    assert system["path"] == "Patient.identifier.system"
    assert system["fixedUri"] == NHS
    assert by_id["Patient.identifier:nhs.value"]["min"] == 1
    assert {"Patient.identifier:nhs.use", "Patient.identifier:nhs.period"} <= set(by_id)
    # the slice and its children sit right after the sliced element, before the next element
    start = ids.index("Patient.identifier")
    assert ids[start + 1] == "Patient.identifier:nhs"
    assert ids.index("Patient.identifier:nhs.assigner") < ids.index("Patient.active")
    # the unsliced element keeps the base definition
    assert "fixedUri" not in by_id.get("Patient.identifier.system", {})


def test_second_slice_goes_after_the_first(resolve: Resolver) -> None:
    _, ids, problems = snapshot(
        resolve,
        profile(
            "Patient",
            {
                "id": "Patient.identifier",
                "path": "Patient.identifier",
                "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
            },
            {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs"},
            {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "fixedUri": NHS},
            {"id": "Patient.identifier:local", "path": "Patient.identifier", "sliceName": "local"},
            {"id": "Patient.identifier:local.system", "path": "Patient.identifier.system", "fixedUri": LOCAL},
        ),
    )
    assert problems == []
    assert ids.index("Patient.identifier:nhs.system") < ids.index("Patient.identifier:local")
    assert ids.index("Patient.identifier:local.system") < ids.index("Patient.active")


def test_path_only_differential_with_slice_name_then_children(resolve: Resolver) -> None:
    by_id, _, problems = snapshot(
        resolve,
        profile(
            "Patient",
            {
                "path": "Patient.identifier",
                "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
            },
            {"path": "Patient.identifier", "sliceName": "nhs", "min": 1, "max": "1"},
            {"path": "Patient.identifier.system", "fixedUri": NHS},
            {"path": "Patient.identifier", "sliceName": "local"},
            {"path": "Patient.identifier.system", "fixedUri": LOCAL},
            {"path": "Patient.name", "min": 1},
        ),
    )
    assert problems == []
    assert by_id["Patient.identifier:nhs"]["max"] == "1"
    assert by_id["Patient.identifier:nhs.system"]["fixedUri"] == NHS
    assert by_id["Patient.identifier:local.system"]["fixedUri"] == LOCAL
    # a path after the slices is outside them again
    assert by_id["Patient.name"]["min"] == 1
    assert "Patient.identifier:local.name" not in by_id


def test_renamed_choice_restricts_the_choice_to_that_type(resolve: Resolver) -> None:
    by_id, _, problems = snapshot(
        resolve,
        profile("Observation", {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity", "min": 1}),
    )
    assert problems == []
    value = by_id["Observation.value[x]"]
    assert [t["code"] for t in value["type"]] == ["Quantity"]
    assert value["min"] == 1
    base = resolve("Observation")
    assert base is not None
    base_value = next(e for e in base["snapshot"]["element"] if e["id"] == "Observation.value[x]")
    assert len(base_value["type"]) > 1  # the base is untouched


def test_children_of_a_renamed_choice_are_placed(resolve: Resolver) -> None:
    by_id, _, problems = snapshot(
        resolve,
        profile(
            "Observation",
            {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity"},
            {"id": "Observation.valueQuantity.unit", "path": "Observation.valueQuantity.unit", "min": 1},
        ),
    )
    assert problems == []
    units = [e for e in by_id.values() if e["path"] in ("Observation.value[x].unit", "Observation.valueQuantity.unit")]
    assert [e["min"] for e in units] == [1]


def test_type_slices_named_by_the_renamed_choice_keep_every_type_on_the_choice(resolve: Resolver) -> None:
    # as R4 extension definitions write them (hl7 address-official): one slice per type
    sd = profile(
        "Observation",
        {
            "id": "Observation.valueBoolean:valueBoolean",
            "path": "Observation.valueBoolean",
            "sliceName": "valueBoolean",
        },
        {
            "id": "Observation.valueCodeableConcept:valueCodeableConcept",
            "path": "Observation.valueCodeableConcept",
            "sliceName": "valueCodeableConcept",
            "min": 1,
        },
        {
            "id": "Observation.valueCodeableConcept:valueCodeableConcept.text",
            "path": "Observation.valueCodeableConcept.text",
            "min": 1,
        },
    )
    by_id, ids, problems = snapshot(resolve, sd)
    assert problems == []
    assert len(by_id["Observation.value[x]"]["type"]) > 2
    assert [t["code"] for t in by_id["Observation.value[x]:valueBoolean"]["type"]] == ["boolean"]
    concept = by_id["Observation.value[x]:valueCodeableConcept"]
    assert [t["code"] for t in concept["type"]] == ["CodeableConcept"]
    assert concept["min"] == 1
    assert by_id["Observation.value[x]:valueCodeableConcept.text"]["min"] == 1
    assert ids.index("Observation.value[x]:valueBoolean") < ids.index("Observation.value[x]:valueCodeableConcept")


def test_unfolding_a_datatype_child(resolve: Resolver) -> None:
    by_id, ids, problems = snapshot(
        resolve,
        profile("Patient", {"id": "Patient.identifier.system", "path": "Patient.identifier.system", "fixedUri": NHS}),
    )
    assert problems == []
    assert by_id["Patient.identifier.system"]["fixedUri"] == NHS
    assert by_id["Patient.identifier.system"]["path"] == "Patient.identifier.system"
    # all of Identifier's elements, in order, right under Patient.identifier
    identifier = resolve("Identifier")
    assert identifier is not None
    kids = ["Patient." + e["id"][0].lower() + e["id"][1:] for e in identifier["snapshot"]["element"][1:]]
    start = ids.index("Patient.identifier") + 1
    assert ids[start : start + len(kids)] == kids
    assert ids[start + len(kids)] == "Patient.active"


def test_content_reference_is_unfolded(resolve: Resolver) -> None:
    by_id, ids, problems = snapshot(
        resolve,
        profile(
            "Questionnaire",
            {"id": "Questionnaire.item.item.linkId", "path": "Questionnaire.item.item.linkId", "maxLength": 10},
        ),
    )
    assert problems == []
    nested = by_id["Questionnaire.item.item"]
    assert "contentReference" not in nested
    assert [t["code"] for t in nested["type"]] == ["BackboneElement"]
    link_id = by_id["Questionnaire.item.item.linkId"]
    assert link_id["maxLength"] == 10
    assert link_id["path"] == "Questionnaire.item.item.linkId"
    assert "maxLength" not in by_id["Questionnaire.item.linkId"]  # the outer item is untouched
    # the copy brings the whole of item, and its own nested item still refers back
    assert {"Questionnaire.item.item.enableWhen.question", "Questionnaire.item.item.answerOption"} <= set(by_id)
    assert by_id["Questionnaire.item.item.item"]["contentReference"] == "#Questionnaire.item"
    assert ids.index("Questionnaire.item.item.linkId") > ids.index("Questionnaire.item.item")


def test_slice_cardinality_starts_from_the_base(resolve: Resolver) -> None:
    by_id, _, problems = snapshot(
        resolve,
        profile(
            "Patient",
            {
                "id": "Patient.identifier",
                "path": "Patient.identifier",
                "min": 2,
                "max": "3",
                "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"},
            },
            {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs"},
            {"id": "Patient.identifier:local", "path": "Patient.identifier", "sliceName": "local", "min": 1},
        ),
    )
    assert problems == []
    assert (by_id["Patient.identifier"]["min"], by_id["Patient.identifier"]["max"]) == (2, "3")
    # min 2 on the sliced element does not make each slice min 2
    assert (by_id["Patient.identifier:nhs"]["min"], by_id["Patient.identifier:nhs"]["max"]) == (0, "*")
    assert by_id["Patient.identifier:local"]["min"] == 1


def test_unmatched_differential_element_is_reported_with_its_index(resolve: Resolver) -> None:
    by_id, _, problems = snapshot(
        resolve,
        profile(
            "Patient",
            {"id": "Patient.gender", "path": "Patient.gender", "min": 1},
            {"id": "Patient.favouriteColour", "path": "Patient.favouriteColour", "min": 1},
            {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
        ),
    )
    assert len(problems) == 1
    index, text = problems[0]
    assert index == 1
    assert "Patient.favouriteColour" in text
    # the rest of the differential is still applied
    assert by_id["Patient.gender"]["min"] == 1
    assert by_id["Patient.birthDate"]["min"] == 1


def test_elements_out_of_the_base_order_are_placed_and_reported_apart(resolve: Resolver) -> None:
    base = resolve(CORE_SD_PREFIX + "Patient")
    assert base is not None
    sd = profile(
        "Patient",
        {"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1},
        {"id": "Patient.name", "path": "Patient.name", "min": 1},
        {"id": "Patient.name.family", "path": "Patient.name.family", "min": 1},
        {"id": "Patient.gender", "path": "Patient.gender", "min": 1},
        {"id": "Patient.address", "path": "Patient.address", "min": 1},
    )
    generated = generate_snapshot(sd, base, resolve)
    assert generated.unplaced == []
    # name (and its family) and gender come before birthDate in Patient: once they are
    # reached, birthDate, listed first, is behind; address, after all of them, is fine
    assert [i for i, _ in generated.out_of_order] == [0]
    by_id = {e["id"]: e for e in generated.elements}
    assert by_id["Patient.birthDate"]["min"] == 1


def test_problems_are_kept_by_the_context(core_validator: Validator) -> None:
    ctx = core_validator.context.overlay()
    url = "http://example.org/StructureDefinition/Broken"
    ctx.add_resource(profile("Patient", {"id": "Patient.nope", "path": "Patient.nope"}, url=url))
    problems = ctx.snapshot_problems(url)
    assert [i for i, _ in problems] == [0]
    assert "Patient.nope" in problems[0][1]


def test_inherited_constraints_say_where_they_come_from(resolve: Resolver) -> None:
    by_id, _, _ = snapshot(
        resolve,
        profile("Patient", {"id": "Patient.identifier.system", "path": "Patient.identifier.system", "min": 1}),
    )
    # pat-1 has no source in the core snapshot: it is the base resource's own
    pat_1 = next(c for c in by_id["Patient.contact"]["constraint"] if c["key"] == "pat-1")
    assert pat_1["source"] == CORE_SD_PREFIX + "Patient"
    # constraints brought in by unfolding a datatype all have a source
    for eid in ("Patient.identifier.system", "Patient.identifier.period"):
        assert all(c.get("source") for c in by_id[eid]["constraint"]), eid
    base = resolve("Patient")
    assert base is not None
    contact = next(e for e in base["snapshot"]["element"] if e["id"] == "Patient.contact")
    assert all("source" not in c for c in contact["constraint"] if c["key"] == "pat-1")  # base untouched


def test_profile_constraint_is_added_after_the_inherited_ones(resolve: Resolver) -> None:
    new = {"key": "p-1", "severity": "error", "human": "A family name", "expression": "family.exists()"}
    by_id, _, _ = snapshot(
        resolve, profile("Patient", {"id": "Patient.name", "path": "Patient.name", "constraint": [new]})
    )
    keys = [c["key"] for c in by_id["Patient.name"]["constraint"]]
    assert keys == ["ele-1", "p-1"]


def test_profile_constraint_source_is_the_profile(resolve: Resolver) -> None:
    new = {"key": "p-1", "severity": "error", "human": "A family name", "expression": "family.exists()"}
    sd = profile("Patient", {"id": "Patient.name", "path": "Patient.name", "constraint": [new]})
    by_id, _, _ = snapshot(resolve, sd)
    added = next(c for c in by_id["Patient.name"]["constraint"] if c["key"] == "p-1")
    assert added.get("source") == sd["url"]


def test_the_base_definition_is_not_modified(resolve: Resolver) -> None:
    base = resolve("Patient")
    assert base is not None
    before = copy.deepcopy(base)
    snapshot(
        resolve,
        profile(
            "Patient",
            {
                "id": "Patient.identifier",
                "path": "Patient.identifier",
                "min": 1,
                "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "closed"},
            },
            {"id": "Patient.identifier:nhs", "path": "Patient.identifier", "sliceName": "nhs"},
            {"id": "Patient.identifier:nhs.system", "path": "Patient.identifier.system", "fixedUri": NHS},
            {"id": "Patient.gender", "path": "Patient.gender", "fixedCode": "female"},
            {
                "id": "Patient.contact",
                "path": "Patient.contact",
                "constraint": [{"key": "x-1", "severity": "error", "human": "x", "expression": "name.exists()"}],
            },
        ),
    )
    assert base == before
