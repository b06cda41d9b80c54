"""Mapping: one service user's canonical records → one FHIR R4 transaction Bundle.

::

    context = MappingContext.from_mapping(mapping, as_of=date.today())
    problems = check_consistency(record, context.as_of)   # [] when the records agree
    mapped = map_service_user(record, context)            # MappedBundle: .bundle, .counts

Every function here is pure: records in, FHIR JSON out, no I/O, no clock (the day the
extract is mapped as of is in the context). Resources conform to fhircare's profiles
(``profiles/package``): ``meta.profile`` set, business identifiers and deterministic
ids, generated plain-language narrative.

Resources are built as FHIR JSON (dicts) rather than as ``fhir.resources`` models:
building and serialising those models costs milliseconds per resource, several times
what mapping and validating the same resource costs, and fhircare's own validator checks
the output against the profiles anyway. :func:`as_models` gives the ``fhir.resources``
R4B models of a mapped bundle for code that wants them.
"""

from __future__ import annotations

from typing import Any

from fhircare.mapping.bundle import MappedBundle, map_service_user
from fhircare.mapping.consistency import Inconsistency, check_consistency
from fhircare.mapping.context import MappingContext, ResourceKey

__all__ = [
    "Inconsistency",
    "MappedBundle",
    "MappingContext",
    "ResourceKey",
    "as_models",
    "check_consistency",
    "map_service_user",
]


def as_models(mapped: MappedBundle) -> Any:
    """The bundle as a ``fhir.resources`` R4B ``Bundle`` (parsed and checked by pydantic)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(mapped.bundle)
