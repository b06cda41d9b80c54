"""The native invariants (validation/fhirpath_native.py) stand in for exactly the
expressions they were written from, and answer as fhirpathpy does on every resource they
meet: the package examples, the mapping golden files, and random damage done to both."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fhirpathpy
import orjson
import pytest
from fhirpathpy.models import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.settings import Settings
from fhircare.validation.fhirpath_native import NATIVE_BY_DIGEST, digest
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "profiles" / "package"
GOLDEN = REPO / "tests" / "unit" / "mapping" / "golden" / "expected"


def _constraints() -> dict[str, tuple[str, str]]:
    """invariant key → (expression, path it sits on), from the core Bundle,
    QuestionnaireResponse, CarePlan and Goal and our package."""
    core = PackageCache.from_settings(Settings()).ensure(CORE_PACKAGE)
    found: dict[str, tuple[str, str]] = {}
    files = [
        core / "StructureDefinition-Bundle.json",
        core / "StructureDefinition-QuestionnaireResponse.json",
        core / "StructureDefinition-CarePlan.json",
        core / "StructureDefinition-Goal.json",
        core / "StructureDefinition-ContactPoint.json",
        *sorted(PACKAGE.glob("StructureDefinition-*.json")),
    ]
    for path in files:
        sd = orjson.loads(path.read_bytes())
        for element in sd.get("snapshot", sd.get("differential", {})).get("element", ()):
            for c in element.get("constraint", ()):
                found.setdefault(c["key"], (c["expression"], element["path"]))
    return found


CONSTRAINTS = _constraints()
R4_MODEL = models["r4"]
NATIVES = sorted(NATIVE_BY_DIGEST.items())


def _corpus() -> list[dict[str, Any]]:
    resources = [json.loads(p.read_text()) for p in sorted((PACKAGE / "example").glob("*.json"))]
    resources += [r for p in sorted(GOLDEN.glob("*.json")) for r in json.loads(p.read_text())]
    return resources


CORPUS = _corpus()


@pytest.mark.parametrize(("key", "native"), NATIVES, ids=[k for (k, _), _ in NATIVES])
def test_each_native_stands_for_the_current_expression(key: tuple[str, str], native: object) -> None:
    name, wanted = key
    assert name in CONSTRAINTS, f"{name} is no longer an invariant of the packages"
    expression, _ = CONSTRAINTS[name]
    assert digest(expression) == wanted, f"{name} changed: update its native in fhirpath_native.py"


def _foci(resource: dict[str, Any], path: str) -> Iterator[Any]:
    """The values an invariant on ``path`` (``Patient.identifier``) is checked on; for the
    ContactPoint datatype, every telecom of the resource, at any depth."""
    if path == "ContactPoint":
        yield from _telecoms(resource)
        return
    rtype, *steps = path.split(".")
    if resource.get("resourceType") != rtype:
        return
    items: list[Any] = [resource]
    for step in steps:
        items = [v for item in items if isinstance(item, dict) for v in _as_list(item.get(step))]
    yield from items


def _telecoms(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, part in value.items():
            if key == "telecom":
                yield from _as_list(part)
            else:
                yield from _telecoms(part)
    elif isinstance(value, list):
        for part in value:
            yield from _telecoms(part)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


class _Env:
    def __init__(self, resource: dict[str, Any]) -> None:
        self.resource = resource


def _agree(name: str, resource: dict[str, Any]) -> None:
    expression, path = CONSTRAINTS[name]
    native = NATIVE_BY_DIGEST[(name, digest(expression))]
    for focus in _foci(resource, path):
        # with the R4 model, as the validator evaluates them (value[x] resolves only with it)
        theirs = fhirpathpy.evaluate(focus, expression, {"resource": resource, "rootResource": resource}, R4_MODEL)
        expected = theirs == [True]
        assert native(focus, _Env(resource)) is expected, (name, focus, theirs)


@pytest.mark.parametrize("name", sorted({k for k, _ in NATIVE_BY_DIGEST}))
def test_natives_agree_with_fhirpathpy_on_the_corpus(name: str) -> None:
    checked = 0
    for resource in CORPUS:
        _agree(name, resource)
        checked += sum(1 for _ in _foci(resource, CONSTRAINTS[name][1]))
    if not name.startswith("bdl-"):
        assert checked, f"nothing in the corpus is checked by {name}"


def test_the_bundle_natives_agree_on_bundles() -> None:
    entries = [
        {"fullUrl": f"urn:uuid:{n}", "resource": r, "request": {"method": "PUT", "url": "x"}}
        for n, r in enumerate(CORPUS[:20])
    ]
    for kind in ("transaction", "batch-response", "collection", "history", None):
        bundle: dict[str, Any] = {"resourceType": "Bundle", "entry": copy.deepcopy(entries)}
        if kind:
            bundle["type"] = kind
        for name in ("bdl-3", "bdl-4", "bdl-7"):
            _agree(name, bundle)
        bundle["entry"].append(copy.deepcopy(bundle["entry"][0]))  # the same fullUrl twice
        _agree("bdl-7", bundle)


def _damage(resource: Any, choices: st.DataObject, depth: int = 0) -> Any:
    """Delete or change one part of a resource somewhere."""
    if isinstance(resource, dict) and resource:
        key = choices.draw(st.sampled_from(sorted(resource)))
        action = choices.draw(st.sampled_from(("drop", "descend", "blank")))
        if action == "drop" or depth > 6:
            del resource[key]
        elif action == "blank":
            # a number, but not 0 or 1: fhirpathpy compares with Python's ==, so for it 0 = false
            # and 1 = true (a wrong type is never equal in FHIRPath; the natives say so)
            resource[key] = choices.draw(st.sampled_from(("", "active", "Patient", 7, [], {})))
        else:
            resource[key] = _damage(resource[key], choices, depth + 1)
    elif isinstance(resource, list) and resource:
        index = choices.draw(st.integers(0, len(resource) - 1))
        if choices.draw(st.booleans()):
            del resource[index]
        else:
            resource[index] = _damage(resource[index], choices, depth + 1)
    return resource


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_natives_agree_with_fhirpathpy_on_damaged_resources(data: st.DataObject) -> None:
    resource = copy.deepcopy(data.draw(st.sampled_from(CORPUS)))
    for _ in range(data.draw(st.integers(1, 3))):
        resource = _damage(resource, data)
    if not isinstance(resource, dict) or "resourceType" not in resource:
        return
    for name in {k for k, _ in NATIVE_BY_DIGEST}:
        try:
            _agree(name, resource)
        except AssertionError:
            raise
        except Exception:  # fhirpathpy rejects some damaged input (a collection where one value is due)
            continue
