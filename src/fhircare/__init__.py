"""fhircare: FHIR R4 interoperability adapter for NHS mental health care coordination."""

__version__ = "0.1.0"
