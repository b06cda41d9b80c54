"""Shared set-up for the tests of the FHIR package in profiles/.

Paths are relative to the repository root, as the package's users (and CI) see them.
UK Core is the reference copy in ../shared/ukcore (not a dependency of the package):
tests that need it skip when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fhircare.validation.api import Validator

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "profiles"
PACKAGE = PROFILES / "package"
EXAMPLES = PACKAGE / "example"
UKCORE = REPO.parent / "shared" / "ukcore" / "package"
CANONICAL = "https://fhir.fhircare.nhs.uk"
UKCORE_SD = "https://fhir.hl7.org.uk/StructureDefinition/"


def load_build() -> ModuleType:
    """profiles/build.py as a module (it is a script, not part of the fhircare package)."""
    spec = importlib.util.spec_from_file_location("fhircare_profiles_build", PROFILES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def example_files() -> list[Path]:
    """Every example instance in the package, plus the DIALOG Questionnaire."""
    files = sorted(p for p in EXAMPLES.glob("*.json") if not p.name.startswith("."))
    return [*files, PACKAGE / "Questionnaire-dialog.json"]


def example(name: str) -> dict[str, Any]:
    """An example by file name stem, e.g. ``CarePlan-example-care-plan``."""
    return read_json(EXAMPLES / f"{name}.json")


def package_profiles() -> dict[str, dict[str, Any]]:
    """The package's resource profiles (not extensions), by canonical URL."""
    found = {}
    for path in sorted(PACKAGE.glob("StructureDefinition-*.json")):
        sd = read_json(path)
        if sd.get("derivation") == "constraint" and sd.get("type") != "Extension":
            found[sd["url"]] = sd
    return found


@pytest.fixture(scope="session")
def profiles_validator() -> Validator:
    """The validator as the adapter runs it: core R4 plus this package, no UK Core."""
    return Validator.create(igs=[PACKAGE])


@pytest.fixture(scope="session")
def full_validator() -> Validator:
    """Core R4, this package and (when present) the UK Core reference copy."""
    igs = [PACKAGE, UKCORE] if UKCORE.is_dir() else [PACKAGE]
    return Validator.create(igs=igs)
