"""The displays the loaded terminology gives each code: what every Coding fhircare writes
is checked against (tests/unit/mapping/test_displays.py), and what the mapping's display
table is made from (displays_update.py).

Sources: the FHIR R4 core package (HL7 code systems), fhircare's package (its own code
systems; SNOMED CT and BCP-47 codes as its value sets list them with their preferred
terms, standards.md; its profiles' titles for profile URLs used as codes), and the UK Core
reference copy (UK Core code systems). SNOMED CT itself cannot be loaded offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from fhircare.settings import Settings
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "profiles" / "package"
UKCORE = REPO.parent / "shared" / "ukcore" / "package"
SNOMED = "http://snomed.info/sct"
BCP47 = "urn:ietf:bcp:47"
URI = "urn:ietf:rfc:3986"
#: the R4 common languages value set (BCP-47 tags with their names)
R4_LANGUAGES = "http://hl7.org/fhir/ValueSet/languages"
#: systems whose codes only value sets list (no CodeSystem can be loaded)
LISTED_ONLY = frozenset({SNOMED, BCP47})


def _concepts(concepts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for concept in concepts:
        yield concept
        yield from _concepts(concept.get("concept", []))


def _resources(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(".") or path.name == "package.json":
            continue
        data = orjson.loads(path.read_bytes())
        if isinstance(data, dict) and "resourceType" in data:
            yield data


def folders() -> list[Path]:
    core = PackageCache.from_settings(Settings()).ensure(CORE_PACKAGE)
    return [core, PACKAGE, *([UKCORE] if UKCORE.is_dir() else [])]


@cache
def terminology() -> dict[str, dict[str, str]]:
    """system → code → display, from every loaded CodeSystem, the concepts value sets list
    for SNOMED CT and BCP-47, and fhircare's profiles (title by canonical URL)."""
    found: dict[str, dict[str, str]] = {}
    for folder in folders():
        for resource in _resources(folder):
            kind = resource["resourceType"]
            if kind == "CodeSystem" and resource.get("url"):
                table = found.setdefault(resource["url"], {})
                for concept in _concepts(resource.get("concept", [])):
                    if isinstance(concept.get("display"), str):
                        table.setdefault(concept["code"], concept["display"])
            elif kind == "ValueSet" and (folder == PACKAGE or resource.get("url") == R4_LANGUAGES):
                for include in resource.get("compose", {}).get("include", []):
                    if include.get("system") not in LISTED_ONLY:
                        continue
                    table = found.setdefault(include["system"], {})
                    for concept in include.get("concept", []):
                        if isinstance(concept.get("display"), str):
                            table.setdefault(concept["code"], concept["display"])
            elif kind == "StructureDefinition" and folder == PACKAGE and resource.get("kind") == "resource":
                found.setdefault(URI, {})[resource["url"]] = resource["title"]
    return found


def display_of(system: str, code: str) -> str | None:
    """The display the loaded terminology gives, or None when it has none."""
    return terminology().get(system, {}).get(code)
