"""Readable codes: every Coding fhircare writes carries a display, and it is the display
the loaded terminology gives that code (R4 core and UK Core code systems, fhircare's own,
SNOMED CT and BCP-47 as fhircare's value sets list them with their preferred terms), so
that a generic viewer shows words, not ``key-worker`` or ``736253002``.

Walked: every resource of both layouts' synthetic extracts and of the golden files, and
every resource ended as the sync would end it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import orjson
import pytest

from fhircare.mapping.display_table import DISPLAYS
from fhircare.mapping.ending import end_resource, hold_back
from tests.unit.mapping.conftest import LAYOUTS, MappedRun
from tests.unit.mapping.displays_update import table
from tests.unit.mapping.golden.update import EXPECTED
from tests.unit.mapping.terminology_displays import UKCORE, display_of

#: systems no terminology for can be loaded offline: the display must be there, as given
UNLOADABLE = frozenset({"https://dmd.nhs.uk"})


def codings(node: Any) -> list[dict[str, Any]]:
    """Every Coding in a resource (a Quantity has a value; an Identifier no code)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and isinstance(node.get("code"), str) and "value" not in node:
            found.append(node)
        for value in node.values():
            found += codings(value)
    elif isinstance(node, list):
        for value in node:
            found += codings(value)
    return found


def problems(resources: list[dict[str, Any]]) -> Counter[str]:
    found: Counter[str] = Counter()
    for resource in resources:
        for coding in codings(resource):
            system, code, shown = coding["system"], coding["code"], coding.get("display")
            if shown is None:
                found[f"{resource['resourceType']}: {system}#{code} has no display"] += 1
            elif system not in UNLOADABLE and shown != display_of(system, code):
                found[f"{system}#{code}: {shown!r}, terminology {display_of(system, code)!r}"] += 1
    return found


def _resources(run: MappedRun) -> list[dict[str, Any]]:
    return [r for mapped in run.bundles.values() for r in mapped.resources]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_coding_has_the_terminology_display(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    resources = _resources(mapped_runs[layout])
    walked = sum(len(codings(r)) for r in resources)
    assert walked > 3000
    assert problems(resources) == Counter()


def test_golden_codings_have_the_terminology_display() -> None:
    resources = [r for path in sorted(EXPECTED.glob("*.json")) for r in orjson.loads(path.read_bytes())]
    assert problems(resources) == Counter()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_ended_resources_keep_readable_codes(mapped_runs: dict[str, MappedRun], layout: str) -> None:
    """What the sync sends when the extract no longer holds a resource (a withdrawn tag, a
    changed status), or while a rejected service user is held back, is as readable."""
    ended = [end_resource(r, date(2025, 7, 2)) for r in _resources(mapped_runs[layout])]
    assert problems(ended) == Counter()
    held = [hold_back(r, date(2025, 7, 2)) for r in _resources(mapped_runs[layout])]
    assert problems(held) == Counter()


def test_the_display_table_is_the_loaded_terminology() -> None:
    """The mapping's table (code, no I/O) is exactly what the terminology gives:
    regenerate with ``python tests/unit/mapping/displays_update.py``."""
    if not UKCORE.is_dir():
        pytest.skip("UK Core reference copy not found")
    assert table() == DISPLAYS
