"""StructureDefinition-driven validation of FHIR R4 resources, offline.

>>> from fhircare.validation import validate
>>> outcome = validate({"resourceType": "Patient", "gender": "unknown"})
>>> outcome.issue[0].severity
'information'

The names are loaded on first use, so importing a sibling module (the package cache,
for ``fhircare packages``) does not load the validator and its FHIRPath engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fhircare.validation.api import Validator, validate
    from fhircare.validation.issues import Issue, ValidationResult

__all__ = ["Issue", "ValidationResult", "Validator", "validate"]

_WHERE = {
    "Validator": "fhircare.validation.api",
    "validate": "fhircare.validation.api",
    "Issue": "fhircare.validation.issues",
    "ValidationResult": "fhircare.validation.issues",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'fhircare.validation' has no attribute {name!r}")
