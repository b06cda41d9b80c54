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

from fhircare.mapping.display_table import DISPLAYS
from fhircare.source.codes import coding as canonical_coding

#: one FHIR JSON object
Json = dict[str, Any]

CANONICAL = "https://fhir.fhircare.nhs.uk"
STRUCTURE_DEFINITION = f"{CANONICAL}/StructureDefinition/"
CODE_SYSTEM = f"{CANONICAL}/CodeSystem/"

SNOMED_CT = "http://snomed.info/sct"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SECURITY_LABEL = CODE_SYSTEM + "security-label"


def profile_url(name: str) -> str:
    """The canonical URL of one of fhircare's profiles or extensions (``fhircare-patient``)."""
    return STRUCTURE_DEFINITION + name


def display(system: str, value: str) -> str | None:
    """The display of a code, as its code system (or, for SNOMED CT, fhircare's value sets)
    gives it; None for a code the terminology has no display for."""
    return DISPLAYS.get(system, {}).get(value)


def code(member: StrEnum) -> Json:
    """The Coding of a canonical code of the source model, with its display."""
    found = canonical_coding(member)
    return coding(found.system, found.code)


def coding(system: str, value: str, shown: str | None = None) -> Json:
    """A Coding with its display: ``shown``, else the terminology's (so that generic
    viewers show words, not bare codes)."""
    out: Json = {"system": system, "code": value}
    words = shown if shown is not None else display(system, value)
    if words is not None:
        out["display"] = words
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


#: The ``Consent.provision.action`` codes that decide a disclosure (R4 consentaction:
#: ``access`` retrieve and view, ``disclose`` release); a provision with no action decides
#: everything. A ``collect`` or ``use`` decision discloses nothing. The access policy and
#: the keeping of refusals (``ending.is_safeguard``) read a refusal by this one rule.
DISCLOSING_ACTIONS = frozenset({"disclose", "access"})


def decides_disclosure(actions: set[str] | frozenset[str]) -> bool:
    """A provision with these action codes decides what is disclosed."""
    return not actions or not DISCLOSING_ACTIONS.isdisjoint(actions)


def days_covered(value: Any) -> tuple[date, date] | None:
    """The first and last day a FHIR date or dateTime covers (``2024-12``: 1 to 31
    December 2024); None when absent or not a date."""
    if not isinstance(value, str):
        return None
    text = value[:10]
    try:
        if len(text) == 4:
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if len(text) == 7:
            first = date(int(text[:4]), int(text[5:7]), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        if len(text) == 10:
            day = date.fromisoformat(text)
            return day, day
    except ValueError:
        return None
    return None


def end_day(value: Any, *, unreadable: date | None) -> date | None:
    """The last day a period's ``end`` covers: ``2024-12`` ends on 31 December, not never.
    None when there is no end; ``unreadable`` when there is one that is not a date (the
    caller says which way fails safe)."""
    if value is None:
        return None
    covered = days_covered(value)
    return covered[1] if covered else unreadable


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


#: ``meta.security`` of the service user's identity (Patient) and of the do-not-involve
#: flag: normal (v3 Confidentiality N), shown wherever the service user is shown at all
IDENTITY_LABELS: tuple[Json, ...] = (coding(V3_CONFIDENTIALITY, "N"),)
#: every other resource about one service user: restricted (R) mental health information
#: (v3 ActCode PSY), shared only as the service user's consent, a legal duty or an override
#: allows (profiles/README.md "What a reader may show to whom")
RESTRICTED_LABELS: tuple[Json, ...] = (
    coding(V3_CONFIDENTIALITY, "R"),
    coding(V3_ACT_CODE, "PSY"),
)
#: what a carer told the team and asked to be kept from the service user (004 §3.14,
#: DD-17): restricted, never disclosed to the patient or their family without the
#: clinician's authorisation (v3 ActCode NOPAT, the label GP Connect uses to keep
#: information off patient-facing services), and why (fhircare carer-confidential)
WITHHELD_FROM_SERVICE_USER_LABELS: tuple[Json, ...] = (
    *RESTRICTED_LABELS,
    coding(V3_ACT_CODE, "NOPAT"),
    coding(SECURITY_LABEL, "carer-confidential"),
)


def written_by_fhircare(mark: Json, marks: Iterable[Json] = ()) -> bool:
    """A tag or security label whose meaning fhircare gives and takes away as its records
    change: its own code systems' (carer-confidential, the tag stores wrote before the
    record-withdrawn extension), and NOPAT when fhircare's carer-confidential is among the
    resource's ``marks`` (other systems write NOPAT too: GP Connect's is not fhircare's to
    take off). Not R or PSY: every record resource keeps those, and on a directory resource
    they would be another system's."""
    system = mark.get("system")
    if isinstance(system, str) and system.startswith(CODE_SYSTEM):
        return True
    return (
        system == V3_ACT_CODE
        and mark.get("code") == "NOPAT"
        and any(m.get("system") == SECURITY_LABEL and m.get("code") == "carer-confidential" for m in marks)
    )


def meta(profile: str, security: tuple[Json, ...] = ()) -> Json:
    """``meta`` claiming a fhircare profile, with its security labels (none for the
    directory: the trust, teams, partners and staff are shared, not anyone's record)."""
    out: Json = {"profile": [profile_url(profile)]}
    if security:
        out["security"] = [dict(label) for label in security]
    return out


def about_service_user(profile: str, *, withheld: bool = False) -> Json:
    """``meta`` of a resource of one service user's record: restricted, and withheld from
    the service user too when a carer asked for that (IS-13)."""
    return meta(profile, WITHHELD_FROM_SERVICE_USER_LABELS if withheld else RESTRICTED_LABELS)


def prune(obj: Json) -> Json:
    """``obj`` without keys whose value is None, an empty list or an empty dict."""
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}
