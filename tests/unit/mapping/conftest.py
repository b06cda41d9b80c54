"""Fixtures for the mapping tests: synthetic extracts read back in every shipped layout,
the mapping context, and validators over fhircare's profiles (and UK Core)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from fhircare.mapping import MappingContext, check_consistency, map_service_user
from fhircare.mapping.bundle import MappedBundle
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.mapping_file import TrustMapping, load_mapping, shipped_layouts
from fhircare.source.reader import read_extract
from fhircare.source.results import Accepted
from fhircare.synth import SCENARIOS, synthesise
from fhircare.validation.api import Validator
from fhircare.validation.issues import ValidationResult

REPO = Path(__file__).resolve().parents[3]
MAPPINGS = REPO / "mappings"
UKCORE = REPO.parent / "shared" / "ukcore" / "package"
UKCORE_GLOBAL = REPO / "profiles" / "ukcore-global"
LAYOUTS = tuple(shipped_layouts(MAPPINGS))
#: two blocks of scenarios: every edge case twice
PATIENTS = 2 * len(SCENARIOS)
SEED = 5
#: the day the synthetic extracts are mapped as of (their extract date is 2025-06-30)
AS_OF = date(2025, 7, 1)


@dataclass
class MappedRun:
    folder: Path
    mapping: TrustMapping
    context: MappingContext
    records: dict[str, ServiceUserRecord]
    bundles: dict[str, MappedBundle]


def errors(result: ValidationResult) -> list[str]:
    return [f"{i.expression}: {i.text}" for i in result.issues if i.is_error]


def map_folder(folder: Path, mapping: TrustMapping, as_of: date = AS_OF) -> MappedRun:
    """Read an extract and map every consistent service user."""
    context = MappingContext.from_mapping(mapping, as_of=as_of)
    with read_extract(folder, mapping) as extract:
        records = {r.service_user_id: r.record for r in extract if isinstance(r, Accepted)}
    bundles = {
        su: map_service_user(record, context) for su, record in records.items() if not check_consistency(record, as_of)
    }
    return MappedRun(folder, mapping, context, records, bundles)


@pytest.fixture(scope="session")
def layouts() -> dict[str, TrustMapping]:
    return {name: load_mapping(MAPPINGS / f"{name}.yaml") for name in LAYOUTS}


@pytest.fixture(scope="session")
def mapped_runs(tmp_path_factory: pytest.TempPathFactory, layouts: dict[str, TrustMapping]) -> dict[str, MappedRun]:
    """Each layout synthesised with the same patients and seed, read back and mapped."""
    runs = {}
    for name, mapping in layouts.items():
        folder = tmp_path_factory.mktemp(f"mapping-{name}")
        synthesise(mapping, folder, patients=PATIENTS, seed=SEED)
        runs[name] = map_folder(folder, mapping)
    return runs


@pytest.fixture(scope="session")
def profiles_validator() -> Validator:
    """The validator as ``fhircare map`` runs it: core R4 and fhircare's profiles."""
    return Validator.create()


@pytest.fixture(scope="session")
def ukcore_validator() -> Validator:
    """Core R4, fhircare's profiles, UK Core, and UK Core's profiles as global profiles."""
    if not UKCORE.is_dir():
        pytest.skip(f"UK Core reference copy not found at {UKCORE}")
    return Validator.create(igs=[UKCORE, UKCORE_GLOBAL])


#: service users per layout in issue 10's done-when measures (test_partners_need.py): a
#: modest count here; ``FHIRCARE_MEASURE_PATIENTS=500`` takes the figures the issue names
MEASURE_PATIENTS = int(os.environ.get("FHIRCARE_MEASURE_PATIENTS", "150"))


@pytest.fixture(scope="session")
def measured_extracts(
    tmp_path_factory: pytest.TempPathFactory, layouts: dict[str, TrustMapping]
) -> dict[str, MappedRun]:
    """``MEASURE_PATIENTS`` synthetic service users in each layout (same seed), read back and
    mapped: the extracts issue 10's done-when measures are taken on."""
    runs = {}
    for name, mapping in layouts.items():
        folder = tmp_path_factory.mktemp(f"measured-{name}")
        synthesise(mapping, folder, patients=MEASURE_PATIENTS, seed=9)
        runs[name] = map_folder(folder, mapping)
    return runs


@pytest.fixture(scope="session")
def extract_500(tmp_path_factory: pytest.TempPathFactory, layouts: dict[str, TrustMapping]) -> MappedRun:
    """500 synthetic service users in the rio-like layout, read back and mapped: the extract
    issue 9's done-when measures are taken on."""
    folder = tmp_path_factory.mktemp("safe-500")
    synthesise(layouts["rio-like"], folder, patients=500, seed=9)
    return map_folder(folder, layouts["rio-like"])
