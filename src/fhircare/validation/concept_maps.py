"""A ConceptMap's codes against the code systems it maps between.

A trust's value maps are ConceptMaps (a mapping file's ``concept_maps``): a source code the
source code system does not define never matches a record, and a target code the target
code system does not define puts an invalid code in every resource mapped through it. When
fhircare holds a group's code system in full (``content: complete``, the version the group
names if it names one), each code claimed from it must be one of its codes, as the HL7
validator checks; code systems held in part, or not at all (SNOMED CT, LOINC), are not
judged.
"""

from __future__ import annotations

from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.structure import objects_in
from fhircare.validation.terminology import NOT_IN, Terminology


def _held(terminology: Terminology, system: Any, version: Any) -> tuple[str, str] | None:
    """(the code system's URL, how the HL7 validator names it: url|version) when fhircare
    holds it in full, in the version the group names (if it names one)."""
    if not isinstance(system, str):
        return None
    url, _, in_url = system.partition("|")
    wanted = version if isinstance(version, str) else (in_url or None)
    index = terminology.code_system(url)
    if index is None or not index.complete or (wanted is not None and wanted != index.version):
        return None
    return url, f"{url}|{index.version}" if index.version else url


def _scope(concept_map: dict[str, Any], side: str) -> str | None:
    """The value set the map's source (or target) codes are drawn from, if it names one."""
    for key in (f"{side}Canonical", f"{side}Uri"):
        if isinstance(concept_map.get(key), str):
            return str(concept_map[key])
    return None


def check_concept_map(concept_map: dict[str, Any], loc: str, sink: IssueSink, terminology: Terminology) -> None:
    scopes = {side: _scope(concept_map, side) for side in ("source", "target")}
    for g, group in enumerate(objects_in(concept_map.get("group"))):
        systems = {side: _held(terminology, group.get(side), group.get(f"{side}Version")) for side in scopes}
        if not any(systems.values()):
            continue
        for e, element in enumerate(objects_in(group.get("element"))):
            where = f"{loc}.group[{g}].element[{e}]"
            coded = [("source", element.get("code"), f"{where}.code")]
            coded += [
                ("target", t.get("code"), f"{where}.target[{n}].code")
                for n, t in enumerate(objects_in(element.get("target")))
            ]
            for side, code, at in coded:
                held = systems[side]
                if held is None or not isinstance(code, str):
                    continue
                url, label = held
                if terminology.code_in_system(url, code) is NOT_IN:
                    sink.error("code-invalid", at, f"The {side} code '{code}' is not valid in the code system {label}")
                    continue
                scope = scopes[side]
                if scope is None:
                    continue
                membership, expansion = terminology.check(scope, url, code)
                if membership is NOT_IN and expansion is not None:
                    # as the HL7 validator words it (for a target it names the code system)
                    named = expansion.versioned_url if side == "source" else label
                    sink.error("code-invalid", at, f"The {side} code '{code}' is not valid in the value set {named}")
