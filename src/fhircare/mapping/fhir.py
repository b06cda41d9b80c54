"""Small builders of FHIR JSON values: codings, references, periods, dates, meta.

The mapping builds FHIR R4 JSON as plain dicts (see :mod:`fhircare.mapping` for why),
through these few helpers, so that every resource module writes values the same way.
Every builder leaves out what is empty: FHIR forbids empty objects, arrays and strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fhircare.source.codes import coding as canonical_coding

#: one FHIR JSON object
Json = dict[str, Any]

CANONICAL = "https://fhir.fhircare.nhs.uk"
STRUCTURE_DEFINITION = f"{CANONICAL}/StructureDefinition/"
CODE_SYSTEM = f"{CANONICAL}/CodeSystem/"

V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SECURITY_LABEL = CODE_SYSTEM + "security-label"


def profile_url(name: str) -> str:
    """The canonical URL of one of fhircare's profiles or extensions (``fhircare-patient``)."""
    return STRUCTURE_DEFINITION + name


def code(member: StrEnum) -> Json:
    """The Coding of a canonical code of the source model."""
    found = canonical_coding(member)
    return {"system": found.system, "code": found.code}


def coding(system: str, value: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": value}
    if display is not None:
        out["display"] = display
    return out


def concept(*codings: Json, text: str | None = None) -> Json:
    """A CodeableConcept of the given codings (and text)."""
    out: Json = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def concept_of(*members: StrEnum) -> Json:
    """A CodeableConcept holding the codings of canonical codes."""
    return concept(*(code(m) for m in members))


def fhir_datetime(value: datetime | date) -> str:
    """A FHIR dateTime: an instant with its UTC offset (the source model keeps one), or a
    date on its own."""
    return value.isoformat()


def period(start: date | datetime | None, end: date | datetime | None = None) -> Json | None:
    out: Json = {}
    if start is not None:
        out["start"] = fhir_datetime(start)
    if end is not None:
        out["end"] = fhir_datetime(end)
    return out or None


def phone(number: str | None, use: str = "work") -> list[Json] | None:
    """``telecom`` holding one telephone number (None when there is none)."""
    return [{"system": "phone", "value": number, "use": use}] if number else None


def extension(url: str, **value: Any) -> Json:
    """An extension with one value, given as ``valueDate=...``, ``valueReference=...``."""
    [(key, item)] = value.items()
    return {"url": url, key: item}


def complex_extension(url: str, parts: Iterable[tuple[str, str, Any]]) -> Json:
    """An extension made of sub-extensions: (url, value key, value); None values are left out."""
    return {"url": url, "extension": [{"url": u, key: v} for u, key, v in parts if v is not None]}


def meta(profile: str, *, carer_confidential: bool = False) -> Json:
    """``meta`` claiming a fhircare profile; carer-provided information withheld from the
    service user is labelled carer-confidential and restricted (fhircare-sec-1, IS-13)."""
    out: Json = {"profile": [profile_url(profile)]}
    if carer_confidential:
        out["security"] = [coding(V3_CONFIDENTIALITY, "R"), coding(SECURITY_LABEL, "carer-confidential")]
    return out


def prune(obj: Json) -> Json:
    """``obj`` without keys whose value is None, an empty list or an empty dict."""
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}
