"""What the package carries over from UK Core still matches the UK Core reference copy
(../shared/ukcore/package): the stand-in for the NHS number verification status extension,
the codes it accepts, and the relationship codes carers are recorded with.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.profiles.conftest import PACKAGE, UKCORE, read_json

pytestmark = pytest.mark.skipif(not UKCORE.is_dir(), reason=f"UK Core reference copy not found at {UKCORE}")


def _value_element(sd: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in sd["differential"]["element"] if e["path"] == "Extension.value[x]")


def _concepts(value_set: dict[str, Any]) -> set[tuple[str, str]]:
    return {(inc["system"], c["code"]) for inc in value_set["compose"]["include"] for c in inc.get("concept", [])}


def _excluded(value_set: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["system"], c["code"]) for e in value_set["compose"].get("exclude", []) for c in e["concept"]}


def test_nhs_number_verification_status_stand_in_matches_ukcore() -> None:
    ours = read_json(PACKAGE / "StructureDefinition-Extension-UKCore-NHSNumberVerificationStatus.json")
    theirs = read_json(UKCORE / "Extension-UKCore-NHSNumberVerificationStatus.json")
    assert ours["url"] == theirs["url"]
    assert ours["context"] == theirs["context"]
    assert [t["code"] for t in _value_element(ours)["type"]] == [t["code"] for t in _value_element(theirs)["type"]]
    assert _value_element(ours)["min"] == _value_element(theirs)["min"] == 1
    assert _value_element(ours)["binding"]["strength"] == _value_element(theirs)["binding"]["strength"] == "required"


def test_nhs_number_verification_codes_are_ukcore_codes() -> None:
    ukcore_vs = read_json(UKCORE / "ValueSet-UKCore-NHSNumberVerificationStatus.json")
    expected: set[tuple[str, str]] = set()
    for include in ukcore_vs["compose"]["include"]:
        if "concept" in include:
            expected |= {(include["system"], c["code"]) for c in include["concept"]}
            continue
        name = include["system"].rsplit("/", 1)[1]
        code_system = read_json(UKCORE / f"CodeSystem-{name}.json")
        expected |= {(include["system"], c["code"]) for c in code_system["concept"]}
    assert _concepts(read_json(PACKAGE / "ValueSet-nhs-number-verification-status.json")) == expected


def test_relationship_value_set_holds_every_ukcore_relationship() -> None:
    ours = read_json(PACKAGE / "ValueSet-related-person-relationship.json")
    theirs = read_json(UKCORE / "ValueSet-UKCore-PersonRelationshipType.json")
    additional = read_json(UKCORE / "CodeSystem-UKCore-AdditionalPersonRelationshipRole.json")
    system = additional["url"]
    assert {c["code"] for c in additional["concept"]} == {code for s, code in _concepts(ours) if s == system}
    whole_systems = {i["system"]: i.get("filter") for i in theirs["compose"]["include"] if "concept" not in i}
    ours_whole = {i["system"]: i.get("filter") for i in ours["compose"]["include"] if "concept" not in i}
    for other, filters in whole_systems.items():
        if other != system:
            assert ours_whole.get(other) == filters, other
    assert _excluded(ours) == _excluded(theirs)


def test_legal_status_stand_in_matches_ukcore() -> None:
    ours = read_json(PACKAGE / "StructureDefinition-Extension-UKCore-LegalStatus.json")
    theirs = read_json(UKCORE / "Extension-UKCore-LegalStatus.json")
    assert ours["url"] == theirs["url"]
    assert ours["context"] == theirs["context"]

    def parts(sd: dict[str, Any]) -> dict[str, tuple[int | None, str | None, list[str]]]:
        elements = {e["id"]: e for e in sd["differential"]["element"]}
        found = {}
        for name in ("legalStatusContext", "legalStatusClassification"):
            slice_ = elements[f"Extension.extension:{name}"]
            value = elements[f"Extension.extension:{name}.value[x]"]
            found[name] = (slice_["min"], value["binding"]["strength"], [t["code"] for t in value["type"]])
        return found

    assert parts(ours) == parts(theirs)


@pytest.mark.parametrize(
    ("ours", "system"),
    [
        ("ValueSet-legal-status-classification-england.json", "UKCore-LegalStatusClassificationEngland"),
        ("ValueSet-legal-status-classification-wales.json", "UKCore-LegalStatusClassificationWales"),
        ("ValueSet-legal-status-context.json", "UKCore-LegalStatusContext"),
    ],
)
def test_legal_status_codes_are_ukcore_codes(ours: str, system: str) -> None:
    code_system = read_json(UKCORE / f"CodeSystem-{system}.json")
    expected = {(code_system["url"], c["code"]) for c in code_system["concept"]}
    assert _concepts(read_json(PACKAGE / ours)) == expected
