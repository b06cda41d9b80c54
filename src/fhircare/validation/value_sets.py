"""Rules of a ValueSet's own definition that no invariant states (the HL7 validator's).

``compose.include.system`` names a code system by its URL; its version goes in
``include.version``. Written as a versioned canonical (``url|4.0.1``), the value set's
codes are codes of a system no Coding names (a Coding says ``url``), so a resource bound to
it is refused whatever code it carries: an error on the include, with the HL7 validator's
texts, tells the value set's author why.
"""

from __future__ import annotations

from typing import Any

from fhircare.validation.canonical_resources import is_absolute_url
from fhircare.validation.issues import IssueSink
from fhircare.validation.structure import objects_in
from fhircare.validation.value_set_filters import FilterChecker


def check_value_set(value_set: dict[str, Any], loc: str, sink: IssueSink, filters: FilterChecker) -> None:
    compose = value_set.get("compose")
    if not isinstance(compose, dict):
        return
    for part in ("include", "exclude"):
        for n, include in enumerate(objects_in(compose.get(part))):
            system, version = include.get("system"), include.get("version")
            where = f"{loc}.compose.{part}[{n}]"
            filters.check_include(include, where, sink)
            if isinstance(system, str) and system and not is_absolute_url(system):
                # '#cs' for a contained code system names nothing a Coding can carry
                text = "URI values in ValueSet.compose.include.system must be absolute"
                if system.startswith("#"):
                    text += (
                        ". To reference a contained code system, use the full CodeSystem URL and reference it "
                        "using the http://hl7.org/fhir/StructureDefinition/valueset-system extension"
                    )
                sink.error("invalid", where, text)
                continue
            if not isinstance(system, str) or "|" not in system:
                continue
            url, _, in_url = system.partition("|")
            if not in_url:
                sink.warning(
                    "business-rule",
                    where,
                    f"Value set System reference '{url}' ends with a '|' which is suspicious. Note that the reference "
                    "must not use the canonical version syntax; the version goes in the .version property",
                )
            elif not isinstance(version, str):
                sink.error(
                    "business-rule",
                    where,
                    f"Value set System references must not use the canonical version syntax - the version "
                    f"'{in_url}' should be in the version property",
                )
            elif version != in_url:
                sink.error(
                    "business-rule",
                    where,
                    f"Value set System references must not use the canonical version syntax - the version "
                    f"'{in_url}' should be in the version property, but that already contains '{version}'",
                )
            else:
                sink.error(
                    "business-rule",
                    where,
                    f"Value set System references must not use the canonical version syntax - the version "
                    f"'{in_url}' is already in the version property",
                )
