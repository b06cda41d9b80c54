"""Reading mapped bundles in tests: resources by type, references resolved, extensions."""

from __future__ import annotations

from typing import Any

from fhircare.mapping.bundle import MappedBundle

SD = "https://fhir.fhircare.nhs.uk/StructureDefinition/"
CS = "https://fhir.fhircare.nhs.uk/CodeSystem/"
SNOMED = "http://snomed.info/sct"

Resource = dict[str, Any]


class Bundle:
    def __init__(self, mapped: MappedBundle) -> None:
        self.mapped = mapped
        self.by_url = {e["fullUrl"]: e["resource"] for e in mapped.bundle["entry"]}

    def all(self, resource_type: str) -> list[Resource]:
        return [r for r in self.by_url.values() if r["resourceType"] == resource_type]

    def one(self, resource_type: str) -> Resource:
        [found] = self.all(resource_type)
        return found

    def resolve(self, reference: dict[str, Any]) -> Resource:
        return self.by_url[reference["reference"]]

    def identified(self, resource_type: str, value: str) -> Resource:
        """The resource of a type whose business identifier has this value."""
        [found] = [r for r in self.all(resource_type) if value in _identifier_values(r)]
        return found


def _identifier_values(resource: Resource) -> set[str]:
    identifiers = resource.get("identifier", [])
    if isinstance(identifiers, dict):
        identifiers = [identifiers]
    return {i["value"] for i in identifiers}


def extensions(element: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The element's extensions with fhircare URL ``name`` (or a full URL)."""
    url = name if "://" in name else SD + name
    return [e for e in element.get("extension", []) if e["url"] == url]


def part(extension: dict[str, Any], name: str) -> Any:
    """The value of a sub-extension of a complex extension (None when absent)."""
    for sub in extension.get("extension", []):
        if sub["url"] == name:
            return next(v for k, v in sub.items() if k.startswith("value"))
    return None


def codes(concept: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def has_code(concepts: list[dict[str, Any]], system: str, code: str) -> bool:
    return any((system, code) in codes(c) for c in concepts)
