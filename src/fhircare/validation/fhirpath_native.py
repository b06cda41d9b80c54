"""Native Python for invariants that run on every bundle fhircare makes: the Bundle
invariants bdl-3, bdl-4 and bdl-7, qrs-1 (on every item of every DIALOG response, nested
ones too), cpl-3, gol-1 and cpt-2 (every care plan activity, goal target and telephone
number), and the
invariants of fhircare's own profiles.

fhirpathpy takes milliseconds over these (the care team rule alone is ten), which is
most of the cost of validating a mapped bundle. Each native is registered under the
invariant's key and the SHA-256 of its exact expression, so a native only ever stands
in for the expression it was written from: when a profile's invariant changes, its
expression no longer matches, the interpreter takes over (slower, still right), and
``tests/unit/validation/test_fhirpath_native.py`` fails until the native is updated.
The same test checks every native against fhirpathpy over the examples, their invalid
variants and mapped bundles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from fhircare.validation.snomed import SNOMED
from fhircare.validation.temporal import compare_datetimes

Check = Callable[[Any, Any], bool]

_SD = "https://fhir.fhircare.nhs.uk/StructureDefinition/"
_CS = "https://fhir.fhircare.nhs.uk/CodeSystem/"
_V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
_V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_UKCORE_RELATIONSHIP = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
_DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_PERFORMER_TYPES = ("Patient", "RelatedPerson", "PractitionerRole", "Organization", "CareTeam", "HealthcareService")


def digest(expression: str) -> str:
    return hashlib.sha256(expression.encode()).hexdigest()[:16]


# --- reading JSON as FHIRPath would ---------------------------------------------------


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dicts(values: Iterable[Any]) -> Iterator[dict[str, Any]]:
    return (v for v in values if isinstance(v, dict))


def _path(obj: Any, *names: str) -> list[Any]:
    """``a.b.c`` over JSON: lists flattened at every step."""
    items = [obj]
    for name in names:
        items = [v for item in _dicts(items) for v in _list(item.get(name))]
    return items


def _extensions(obj: Any, url: str) -> list[dict[str, Any]]:
    return [e for e in _dicts(_path(obj, "extension")) if e.get("url") == url]


def _has_coding(codings: Iterable[Any], system: str, codes: tuple[str, ...] | None = None) -> bool:
    return any(c.get("system") == system and (codes is None or c.get("code") in codes) for c in _dicts(codings))


def _on_or_before(earlier: Any, later: str) -> bool:
    """``earlier <= later`` as FHIRPath compares dates: unknown (mixed precision) is not true."""
    if not isinstance(earlier, str):
        return False
    order = compare_datetimes(earlier, later)
    return order is not None and order <= 0


def _status_implies(resource: Any, statuses: tuple[str, ...], then: bool) -> bool:
    """``(status = a or status = b) implies then``: an absent status (FHIRPath empty)
    leaves ``then`` to decide, as it does when the status is one of ``statuses``."""
    found = _path(resource, "status")
    return then if not found or (len(found) == 1 and found[0] in statuses) else True


# --- Bundle -----------------------------------------------------------------------------


def _entries_say(bundle: Any, element: str, types: tuple[str, ...]) -> bool:
    """Every entry has ``element`` exactly when the bundle is of one of ``types``."""
    entries = list(_dicts(_path(bundle, "entry")))
    kind = bundle.get("type") if isinstance(bundle, dict) else None
    if not isinstance(kind, str):
        return not entries  # the type is unknown: all() holds only over no entries
    wanted = kind in types
    return all((element in entry) == wanted for entry in entries)


def _bdl_3(bundle: Any, env: Any) -> bool:
    return _entries_say(bundle, "request", ("batch", "transaction", "history"))


def _bdl_4(bundle: Any, env: Any) -> bool:
    return _entries_say(bundle, "response", ("batch-response", "transaction-response", "history"))


def _bdl_7(bundle: Any, env: Any) -> bool:
    if isinstance(bundle, dict) and bundle.get("type") == "history":
        return True
    keys = []
    for entry in _dicts(_path(bundle, "entry")):
        if "fullUrl" in entry:  # fullUrl & resource.meta.versionId: & reads empty as ''
            version = _path(entry, "resource", "meta", "versionId")
            keys.append(f"{entry['fullUrl']}{version[0] if version else ''}")
    return len(set(keys)) == len(keys)


# --- fhircare profiles ------------------------------------------------------------------


def _sec_1(resource: Any, env: Any) -> bool:
    labels = _path(resource, "meta", "security")
    if not _has_coding(labels, _CS + "security-label", ("carer-confidential",)):
        return True
    return _has_coding(labels, _V3_CONFIDENTIALITY, ("R",)) and _has_coding(labels, _V3_ACT_CODE, ("NOPAT",))


def _sec_2(resource: Any, env: Any) -> bool:
    return sum(1 for c in _dicts(_path(resource, "meta", "security")) if c.get("system") == _V3_CONFIDENTIALITY) == 1


def _current(participant: dict[str, Any], today: str) -> bool:
    start = _path(participant, "period", "start")
    end = _path(participant, "period", "end")
    return bool(start) and _on_or_before(start[0], today) and (not end or _on_or_before(today, end[0]))


#: the named-lead roles (care-team-role lead-role) and the roles that mark cover or default
_LEAD_ROLES = (
    "key-worker",
    "care-coordinator",
    "lead-clinician",
    "lead-professional",
    "temporary-care-coordinator",
    "named-nurse",
    "tcp-case-manager",
)


def _has_role(participant: dict[str, Any], codes: tuple[str, ...]) -> bool:
    return _has_coding(_path(participant, "role", "coding"), _CS + "care-team-role", codes)


def _care_team_1(team: Any, env: Any) -> bool:
    if not isinstance(team, dict):
        return False
    if _path(team, "status") not in ([], ["active"]):
        return True
    today = getattr(env, "today", "") or date.today().isoformat()
    current = [p for p in _dicts(_path(team, "participant")) if _current(p, today)]
    awaiting = bool(_extensions(team, _SD + "lead-awaiting-allocation"))
    leads = [p for p in current if _has_role(p, _LEAD_ROLES)]
    return (len(leads) == 1 and not awaiting) or (
        not leads and awaiting and any(_has_role(p, ("duty-worker",)) for p in current)
    )


def _care_team_2(team: Any, env: Any) -> bool:
    defaults = [
        p
        for p in _dicts(_path(team, "participant"))
        if any(e.get("valueBoolean") is True for e in _extensions(p, _SD + "default-lead"))
    ]
    return all(_has_role(p, _LEAD_ROLES) and _has_role(p, ("team-manager",)) for p in defaults)


def _nhs_number_1(identifier: Any, env: Any) -> bool:
    value = identifier.get("value") if isinstance(identifier, dict) else None
    if not isinstance(value, str) or len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value, range(10, 1, -1), strict=False))
    return (11 - total % 11) % 11 == int(value[9])


def _care_plan_1(plan: Any, env: Any) -> bool:
    return _status_implies(plan, ("active",), bool(_extensions(plan, _SD + "next-review")))


def _care_plan_2(plan: Any, env: Any) -> bool:
    subject = _path(env.resource, "subject", "reference")
    if subject and any(c.get("reference") == subject[0] for c in _dicts(_path(plan, "contributor"))):
        return True
    types = [
        coding
        for exception in _extensions(plan, _SD + "planning-exception")
        for part in _extensions(exception, "type")
        for coding in _path(part, "valueCodeableConcept", "coding")
    ]
    return _has_coding(types, _CS + "planning-exception", ("service-user-declined", "service-user-unable"))


def _care_plan_3(plan: Any, env: Any) -> bool:
    """A crisis or contingency plan has a crisis contact and points to an Observation
    (what to look out for: issue 10 moved triggers and early warning signs there)."""
    if not _has_coding(_path(plan, "category", "coding"), SNOMED, ("736253002", "325691000000100")):
        return True
    contents = _path(plan, "activity", "detail", "code", "coding")
    pointed = any(info.get("type") == "Observation" for info in _dicts(_path(plan, "supportingInfo")))
    return _has_coding(contents, _CS + "crisis-contingency-content", ("crisis-contact",)) and pointed


def _performer_typed(performer: dict[str, Any]) -> bool:
    kind = performer.get("type")
    if kind not in _PERFORMER_TYPES:
        return False
    ref = performer.get("reference")
    if ref is None:
        return True
    if not isinstance(ref, str):
        return False
    return ref.startswith(("urn:", "#", f"{kind}/")) or f"/{kind}/" in ref


def _care_plan_4(plan: Any, env: Any) -> bool:
    # a performer that is not an object has no type either: all() fails on it, as FHIRPath
    # over the JSON finds (found by the damaged-resources property test: performer '')
    performers = _path(plan, "activity", "detail", "performer")
    return all(isinstance(p, dict) and _performer_typed(p) for p in performers)


def _related_person_1(person: Any, env: Any) -> bool:
    if not (_extensions(person, _SD + "carers-assessment") or _extensions(person, _SD + "young-carer")):
        return True
    return _has_coding(_path(person, "relationship", "coding"), _UKCORE_RELATIONSHIP, ("Carer",))


def _related_person_2(person: Any, env: Any) -> bool:
    if not _extensions(person, _SD + "do-not-involve"):
        return True
    return not _path(person, "telecom") and isinstance(person, dict) and person.get("active") is False


def _permit_implies(consent: Any, then: bool) -> bool:
    """``provision.type = 'permit' implies then``: an absent type leaves ``then`` to decide."""
    kinds = _path(consent, "provision", "type")
    return then if not kinds or kinds == ["permit"] else True


def _consent_2(consent: Any, env: Any) -> bool:
    named = bool(_path(consent, "provision", "class") or _path(consent, "provision", "data"))
    return _permit_implies(consent, named)


def _consent_3(consent: Any, env: Any) -> bool:
    said = bool(_path(consent, "provision", "purpose") and _path(consent, "provision", "period", "start"))
    return _permit_implies(consent, said)


def _consent_4(consent: Any, env: Any) -> bool:
    best = _has_coding(_path(consent, "policyRule", "coding"), _CS + "consent-basis", ("best-interests",))
    return best == bool(_extensions(consent, _SD + "capacity-assessment"))


def _care_plan_5(plan: Any, env: Any) -> bool:
    marked = _has_coding(_path(plan, "category", "coding"), _CS + "care-plan-type", ("section-117-aftercare",))
    return bool(_extensions(plan, _SD + "section-117-aftercare")) == marked


def _flag_1(flag: Any, env: Any) -> bool:
    if not _has_coding(_path(flag, "code", "coding"), _CS + "flag-code", ("do-not-involve",)):
        return True
    normal = _has_coding(_path(flag, "meta", "security"), _V3_CONFIDENTIALITY, ("N",))
    return normal and bool(_extensions(flag, "http://hl7.org/fhir/StructureDefinition/flag-detail"))


def _consent_1(consent: Any, env: Any) -> bool:
    provision = _path(consent, "provision")
    return bool(_path(consent, "provision", "actor")) or any(
        _extensions(p, _SD + "partner-organisation-type") for p in provision
    )


def _record_activities(provenance: Any) -> list[Any]:
    return [c for c in _dicts(_path(provenance, "activity", "coding")) if c.get("system") == _CS + "record-activity"]


def _provenance_1(provenance: Any, env: Any) -> bool:
    return bool(_record_activities(provenance))


def _provenance_2(provenance: Any, env: Any) -> bool:
    codes = {c.get("code") for c in _record_activities(provenance)}
    return not codes & {"confidentiality-override", "consent-refusal"} or bool(_path(provenance, "reason", "text"))


def _provenance_3(provenance: Any, env: Any) -> bool:
    codes = {c.get("code") for c in _record_activities(provenance)}
    if "carer-provided-information" not in codes:
        return True
    return any(
        _has_coding(_path(agent, "type", "coding"), _PARTICIPANT_TYPE, ("informant",))
        for agent in _dicts(_path(provenance, "agent"))
    )


def _dialog_1(response: Any, env: Any) -> bool:
    said = [i for i in _dicts(_path(response, "item")) if _path(i, "answer") or _extensions(i, _DATA_ABSENT_REASON)]
    return _status_implies(response, ("completed", "amended"), len(said) == 11)


def _dialog_3(response: Any, env: Any) -> bool:
    items = _dicts(_path(response, "item"))
    return all(not _path(i, "answer") or not _extensions(i, _DATA_ABSENT_REASON) for i in items)


def _exists(obj: dict[str, Any], name: str) -> bool:
    """``name.exists()`` on a JSON object: ``bool(_path(obj, name))`` without building the
    list (qrs-1 asks it twice of every response item)."""
    value = obj.get(name)
    return value is not None and value != []


def _qrs_1(item: Any, env: Any) -> bool:
    """A response item holds answers or nested items, not both."""
    return not (isinstance(item, dict) and _exists(item, "answer") and _exists(item, "item"))


# --- R4 core invariants met on every care plan and goal ------------------------------------


def _cpl_3(activity: Any, env: Any) -> bool:
    """``detail.empty() or reference.empty()``: an activity is described here or elsewhere."""
    return not (isinstance(activity, dict) and _exists(activity, "detail") and _exists(activity, "reference"))


def _cpt_2(contact_point: Any, env: Any) -> bool:
    """``value.empty() or system.exists()``: a telephone number or address says what it is."""
    return not (isinstance(contact_point, dict) and _exists(contact_point, "value")) or _exists(contact_point, "system")


def _gol_1(target: Any, env: Any) -> bool:
    """``(detail.exists() and measure.exists()) or detail.exists().not()``: a target's detail
    says what it measures. ``detail`` is detail[x] (detailQuantity, detailString, ...)."""
    if not isinstance(target, dict):
        return True
    detail = any(k[6:7].isupper() and _exists(target, k) for k in target if k.startswith("detail"))
    return not detail or _exists(target, "measure")


#: (invariant key, digest of its expression) → native check
NATIVE_BY_DIGEST: dict[tuple[str, str], Check] = {
    ("cpl-3", "a42ec2660dc33072"): _cpl_3,
    ("gol-1", "bedaba0a6ac21e66"): _gol_1,
    ("cpt-2", "9fbfbd7b30bf1768"): _cpt_2,
    ("bdl-3", "f44acf8942c6d60c"): _bdl_3,
    ("bdl-4", "0db0a1cb5b23b1ba"): _bdl_4,
    ("bdl-7", "089204edce52713f"): _bdl_7,
    ("qrs-1", "c61822534274d537"): _qrs_1,
    ("fhircare-sec-1", "4627884edf582ce9"): _sec_1,
    ("fhircare-sec-2", "ab6b9d623497b16b"): _sec_2,
    ("fhircare-care-team-1", "456c0184599e16b3"): _care_team_1,
    ("fhircare-care-team-2", "9677f6e69a26ca75"): _care_team_2,
    ("fhircare-nhs-number-1", "d9c47411e3b3112f"): _nhs_number_1,
    ("fhircare-care-plan-1", "e303d33b5b173c28"): _care_plan_1,
    ("fhircare-care-plan-2", "71fb389e24803783"): _care_plan_2,
    ("fhircare-care-plan-3", "7616b801e9d7c0f9"): _care_plan_3,
    ("fhircare-care-plan-4", "bb87a2d249078393"): _care_plan_4,
    ("fhircare-care-plan-5", "f10a58866c8db801"): _care_plan_5,
    ("fhircare-related-person-1", "fdeb36c40e6db9b6"): _related_person_1,
    ("fhircare-related-person-2", "6d420c747dff563a"): _related_person_2,
    ("fhircare-consent-1", "5980d1059e91059b"): _consent_1,
    ("fhircare-consent-2", "c9151d61f970b11b"): _consent_2,
    ("fhircare-consent-3", "65f3c54cfaa0e6e0"): _consent_3,
    ("fhircare-consent-4", "3fd38407104b8e73"): _consent_4,
    ("fhircare-flag-1", "76e302789ceaa3bc"): _flag_1,
    ("fhircare-provenance-1", "1ae4fa044d58114f"): _provenance_1,
    ("fhircare-provenance-2", "9c12b5826c5e16df"): _provenance_2,
    ("fhircare-provenance-3", "e2217372e9a5f143"): _provenance_3,
    ("fhircare-dialog-1", "a060e67d9d21fb2a"): _dialog_1,
    ("fhircare-dialog-3", "c2b0486d5c4d563d"): _dialog_3,
}
