"""A definitional resource's own ``url``: the canonical URL others name it by.

R4 types it ``uri``, so the walk accepts ``ValueSet/vs-1``; but a relative canonical URL
names nothing outside the server it sits on, and every binding, profile claim or value map
that names it stays unresolved. Absolute as the HL7 validator judges it: a scheme (http,
https, urn, file or a lower-case token) and something after it, with no space.
"""

from __future__ import annotations

import re
from typing import Any

from fhircare.validation.issues import IssueSink

#: R4's canonical resources (those whose ``url`` defines them), as the HL7 validator lists them
CANONICAL_RESOURCE_TYPES = frozenset(
    {
        "ActivityDefinition",
        "CapabilityStatement",
        "ChargeItemDefinition",
        "CodeSystem",
        "CompartmentDefinition",
        "ConceptMap",
        "EffectEvidenceSynthesis",
        "EventDefinition",
        "Evidence",
        "EvidenceVariable",
        "ExampleScenario",
        "GraphDefinition",
        "ImplementationGuide",
        "Library",
        "Measure",
        "MessageDefinition",
        "NamingSystem",
        "OperationDefinition",
        "PlanDefinition",
        "Questionnaire",
        "ResearchDefinition",
        "ResearchElementDefinition",
        "RiskEvidenceSynthesis",
        "SearchParameter",
        "StructureDefinition",
        "StructureMap",
        "TerminologyCapabilities",
        "TestScript",
        "ValueSet",
    }
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_\[\]]*")
_URN_PREFIXES = ("urn:iso:", "urn:iso-iec:", "urn:iso-cie:", "urn:iso-astm:", "urn:iso-ieee:", "urn:iec:")


def is_absolute_url(url: str) -> bool:
    scheme, colon, rest = url.partition(":")
    if not colon:
        return False
    known = scheme in ("http", "https", "urn", "file") or (
        _TOKEN.fullmatch(scheme) is not None and scheme == scheme.lower()
    )
    return (known or url.startswith(_URN_PREFIXES)) and bool(rest) and " " not in rest


def check_canonical_url(resource: dict[str, Any], loc: str, contained: bool, sink: IssueSink) -> None:
    url = resource.get("url")
    if isinstance(url, str) and url and not is_absolute_url(url):
        text = (
            f"Canonical URLs in contained resources must be absolute URLs if present ({url})"
            if contained
            else f"Canonical URLs must be absolute URLs if they are not fragment references ({url})"
        )
        sink.error("invalid", f"{loc}.url", text)
