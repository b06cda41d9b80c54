"""The canonical codes are fhircare's own CodeSystem codes (profiles/package), so that the
mapping to FHIR is a lookup: these tests keep the two in step."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from fhircare.source.codes import FHIRCARE_CS, SNOMED, CarePlanType, Discipline, code_system_enums, coding

PACKAGE = Path(__file__).resolve().parents[3] / "profiles" / "package"


def _load(kind: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / f"{kind}-{name}.json").read_text(encoding="utf-8"))
    return data


def _selectable(concepts: list[dict[str, Any]]) -> set[str]:
    codes = set()
    for concept in concepts:
        not_selectable = any(
            p.get("code") == "notSelectable" and p.get("valueBoolean") for p in concept.get("property", [])
        )
        if not not_selectable:
            codes.add(concept["code"])
        codes |= _selectable(concept.get("concept", []))
    return codes


FHIRCARE_ENUMS = {enum: url for enum, url in code_system_enums().items() if url.startswith(FHIRCARE_CS)}


@pytest.mark.parametrize("enum", list(FHIRCARE_ENUMS), ids=lambda e: e.__name__)
def test_enum_codes_exist_in_the_fhircare_code_system(enum: type[StrEnum]) -> None:
    url = FHIRCARE_ENUMS[enum]
    system = _load("CodeSystem", url.removeprefix(FHIRCARE_CS))
    assert system["url"] == url
    selectable = _selectable(system["concept"])
    assert {m.value for m in enum} <= selectable


@pytest.mark.parametrize(
    ("enum", "name"),
    [(e, u.removeprefix(FHIRCARE_CS)) for e, u in FHIRCARE_ENUMS.items() if e.__name__ != "DialogItem"],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_enum_covers_the_whole_code_system(enum: type[StrEnum], name: str) -> None:
    """Nothing the profiles can say is missing from the source model (the DIALOG items
    are the DIALOG part of life-area only, and CoordinationRole the coordination part of
    care-team-role; the rest of care-team-role is in Discipline)."""
    selectable = _selectable(_load("CodeSystem", name)["concept"])
    values = {m.value for m in enum}
    if name == "care-team-role":
        values |= {m.value for m in Discipline if coding(m).system == FHIRCARE_CS + "care-team-role"}
    assert values == selectable


def test_care_plan_types_are_the_value_set() -> None:
    value_set = _load("ValueSet", "care-plan-type")
    allowed = {(inc["system"], c["code"]) for inc in value_set["compose"]["include"] for c in inc.get("concept", [])}
    allowed |= {(FHIRCARE_CS + "care-plan-type", c) for c in ("welsh-care-and-treatment-plan", "safety-plan")}
    assert {tuple(coding(m)) for m in CarePlanType} == allowed


def test_snomed_disciplines_are_in_the_mdt_value_set() -> None:
    value_set = _load("ValueSet", "mdt-discipline")
    snomed = {
        c["code"] for inc in value_set["compose"]["include"] if inc.get("system") == SNOMED for c in inc["concept"]
    }
    ours = {coding(m).code for m in Discipline if coding(m).system == SNOMED}
    assert ours == snomed
