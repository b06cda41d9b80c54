"""Value maps written as FHIR ConceptMaps: a mapping file's ``concept_maps`` names JSON
files (relative to the mapping file), each read into a value map of the same name.

A source code maps to its one target whose equivalence says the target covers it
(``equivalent``, ``equal``, ``wider``, ``subsumes``); a code with none of those, or with
several, is a problem of the mapping file, as is a file that is not a ConceptMap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from fhircare.errors import InputError
from fhircare.source.limits import ReadLimits, setting_name
from fhircare.workspace import read_regular

#: a local code may be read as a target that means the same or covers more
_COVERING = frozenset({"equivalent", "equal", "wider", "subsumes"})

Issue = tuple[str, str]  # (key path below the map's entry, reason)


def read_concept_map(path: Path, limits: ReadLimits | None = None) -> tuple[dict[str, str], list[Issue]]:
    """The value map a ConceptMap file gives (source code → target code), and its problems.
    The file must be a regular file within the size limit."""
    limits = limits or ReadLimits()
    try:
        data = read_regular(path, limit=limits.concept_map_max_bytes, setting=setting_name("concept_map_max_bytes"))
        resource: Any = orjson.loads(data)
    except InputError as exc:
        return {}, [("", exc.message)]
    except OSError as exc:
        return {}, [("", f"cannot read {path}: {exc.strerror or type(exc).__name__}")]
    except orjson.JSONDecodeError as exc:
        return {}, [("", f"{path} is not JSON: {exc}")]
    if not isinstance(resource, dict) or resource.get("resourceType") != "ConceptMap":
        return {}, [("", f"{path} is not a FHIR ConceptMap")]
    found: dict[str, str] = {}
    issues: list[Issue] = []
    for g, group in enumerate(resource.get("group") or []):
        for e, element in enumerate(group.get("element") or [] if isinstance(group, dict) else []):
            code = element.get("code") if isinstance(element, dict) else None
            if not isinstance(code, str):
                issues.append((f"group[{g}].element[{e}]", "an element without a code"))
                continue
            targets = [
                str(t["code"])
                for t in element.get("target") or []
                if isinstance(t, dict) and t.get("equivalence") in _COVERING and isinstance(t.get("code"), str)
            ]
            if len(targets) != 1:
                what = "no target that covers it" if not targets else f"{len(targets)} targets that cover it"
                issues.append((f"group[{g}].element[{e}]", f"code '{code}' has {what} (equivalent, wider, ...)"))
            elif code in found and found[code] != targets[0]:
                issues.append(
                    (f"group[{g}].element[{e}]", f"code '{code}' maps to both '{found[code]}' and '{targets[0]}'")
                )
            else:
                found[code] = targets[0]
    if not found and not issues:
        issues.append(("", f"{path} maps no codes"))
    return found, issues
