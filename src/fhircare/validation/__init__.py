"""StructureDefinition-driven validation of FHIR R4 resources, offline.

>>> from fhircare.validation import validate
>>> outcome = validate({"resourceType": "Patient", "gender": "unknown"})
>>> outcome.issue[0].severity
'information'
"""

from fhircare.validation.api import Validator, validate
from fhircare.validation.issues import Issue, ValidationResult

__all__ = ["Issue", "ValidationResult", "Validator", "validate"]
