"""Golden files: committed source rows (``golden/extract``, RiO-like, one block of
scenarios) and the FHIR they must become (``golden/expected/<ResourceType>.json``), one
file per resource family. A difference fails with the resource that changed; after a
deliberate change, regenerate with ``python tests/unit/mapping/golden/update.py`` and
review the diff."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from fhircare.source.mapping_file import TrustMapping
from fhircare.synth import synthesise
from fhircare.validation.api import Validator
from tests.unit.mapping.conftest import errors
from tests.unit.mapping.golden.update import EXPECTED, EXTRACT, PATIENTS, SEED, resources_by_type

FAMILIES = sorted(p.stem for p in EXPECTED.glob("*.json"))


@pytest.fixture(scope="module")
def mapped(layouts: dict[str, TrustMapping]) -> dict[str, dict[str, object]]:
    return resources_by_type(EXTRACT, layouts["rio-like"])


def test_every_resource_family_has_a_golden_file(mapped: dict[str, dict[str, object]]) -> None:
    assert sorted(mapped) == FAMILIES
    assert set(FAMILIES) >= {
        "CarePlan", "CareTeam", "Consent", "Goal", "Observation", "Organization", "Patient",
        "Practitioner", "PractitionerRole", "Provenance", "QuestionnaireResponse", "RelatedPerson",
    }  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_rows_map_to_the_golden_resources(mapped: dict[str, dict[str, object]], family: str) -> None:
    expected = {r["id"]: r for r in orjson.loads((EXPECTED / f"{family}.json").read_bytes())}
    got = mapped[family]
    assert sorted(got) == sorted(expected), f"{family}: other resources than the golden file has"
    for rid, resource in expected.items():
        assert got[rid] == resource, f"{family}/{rid} differs from golden/expected/{family}.json"


@pytest.mark.parametrize("family", FAMILIES)
def test_golden_resources_are_valid(family: str, profiles_validator: Validator) -> None:
    """Each golden resource on its own against its profile (references left unresolved)."""
    for resource in orjson.loads((EXPECTED / f"{family}.json").read_bytes()):
        found = [e for e in errors(profiles_validator.validate(resource)) if "does not conform" not in e]
        assert found == [], resource["id"]


def test_the_systmone_layout_gives_the_same_fhir(
    tmp_path: Path, layouts: dict[str, TrustMapping], mapped: dict[str, dict[str, object]]
) -> None:
    """Same people, other files, columns, dates and codes: exactly the same resources."""
    synthesise(layouts["systmone-like"], tmp_path / "s1", patients=PATIENTS, seed=SEED)
    assert resources_by_type(tmp_path / "s1", layouts["systmone-like"]) == mapped
