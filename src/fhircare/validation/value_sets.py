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
from fhircare.validation.snomed import SNOMED, concept_id_problem
from fhircare.validation.structure import objects_in
from fhircare.validation.terminology import Terminology
from fhircare.validation.value_set_filters import FilterChecker


def check_value_set(value_set: dict[str, Any], loc: str, sink: IssueSink, terminology: Terminology) -> None:
    compose = value_set.get("compose")
    if not isinstance(compose, dict):
        return
    filters = FilterChecker(terminology)
    for part in ("include", "exclude"):
        for n, include in enumerate(objects_in(compose.get(part))):
            system, version = include.get("system"), include.get("version")
            where = f"{loc}.compose.{part}[{n}]"
            filters.check_include(include, where, sink)
            if isinstance(system, str) and not isinstance(version, str):
                _check_concepts(include, system, where, sink, terminology)
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


def _check_concepts(
    include: dict[str, Any], system: str, where: str, sink: IssueSink, terminology: Terminology
) -> None:
    """Each concept an include lists is one its code system defines, where fhircare holds the
    system in full: a value set listing a code nobody defined offers a choice no reader can
    look up (the HL7 validator checks this with a terminology server; offline it does not).
    A SNOMED CT code is judged by its form only (see snomed.py): a warning."""
    for n, concept in enumerate(objects_in(include.get("concept"))):
        code = concept.get("code")
        if not isinstance(code, str):
            continue
        at = f"{where}.concept[{n}]"
        if unknown := terminology.unknown_code(system, code):
            sink.error("code-invalid", at, f"The code '{code}' is not valid in the system {system} ({unknown})")
        elif system == SNOMED and (why := concept_id_problem(code)):
            sink.warning(
                "code-invalid",
                at,
                f"The code '{code}' is not valid in the system {system}: it cannot be a SNOMED CT concept ({why})",
            )
