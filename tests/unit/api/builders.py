"""Hand-built records for the access-policy tests, in the representation profiles/README.md
describes: coded Consent provisions (class, code, data, actor or partner type, purpose,
period, policyRule basis), meta.security labels, the do-not-involve extension and Flag,
crisis plans by CarePlan category, care team lead roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhircare.api.policy import Viewer
from fhircare.api.policy_table import CRISIS_CATEGORIES, OrganisationType
from fhircare.api.record import ServiceUserRecord, build_record

Json = dict[str, Any]

CS = "https://fhir.fhircare.nhs.uk/CodeSystem/"
SD = "https://fhir.fhircare.nhs.uk/StructureDefinition/"
SNOMED = "http://snomed.info/sct"
TODAY = date(2025, 7, 1)

PATIENT = "Patient/p1"
GP_PRACTICE = "Organization/gp1"
OTHER_GP = "Organization/gp2"
VCSE_ORG = "Organization/vcse1"
OTHER_VCSE = "Organization/vcse2"
COUNCIL = "Organization/la1"
TRUST_TEAM = "Organization/team1"
CARER = "RelatedPerson/carer"
NOT_INVOLVED = "RelatedPerson/estranged"
LEAD = "PractitionerRole/lead"
PSYCHIATRIST = "PractitionerRole/doctor"

CONFIDENTIAL_R = {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}
VERY_RESTRICTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "V"}
NOPAT = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}
CARER_CONFIDENTIAL = {"system": CS + "security-label", "code": "carer-confidential"}

CRISIS = {"coding": [{"system": SNOMED, "code": "736253002"}]}
MAIN_PLAN = {"coding": [{"system": SNOMED, "code": "718347000"}]}
SECTION_117 = {"coding": [{"system": CS + "care-plan-type", "code": "section-117-aftercare"}]}

VIEWERS = {
    OrganisationType.GP: Viewer("gp", OrganisationType.GP, frozenset({GP_PRACTICE})),
    OrganisationType.VCSE: Viewer("vcse", OrganisationType.VCSE, frozenset({VCSE_ORG})),
    OrganisationType.LOCAL_AUTHORITY: Viewer("la", OrganisationType.LOCAL_AUTHORITY, frozenset({COUNCIL})),
    OrganisationType.NHS_TRUST: Viewer("trust", OrganisationType.NHS_TRUST, frozenset({TRUST_TEAM})),
    OrganisationType.URGENT_CARE: Viewer("urgent", OrganisationType.URGENT_CARE, frozenset({"Organization/ucc"})),
    OrganisationType.SERVICE_USER_APP: Viewer(
        "app", OrganisationType.SERVICE_USER_APP, frozenset({"Organization/app"})
    ),
    OrganisationType.ADMIN: Viewer("admin", OrganisationType.ADMIN, frozenset()),
}


def ref(value: str) -> Json:
    return {"reference": value}


def meta(*labels: Json, profile: str | None = None) -> Json:
    out: Json = {}
    if profile:
        out["profile"] = [SD + profile]
    if labels:
        out["security"] = list(labels)
    return out


def patient(gp: str = GP_PRACTICE) -> Json:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "generalPractitioner": [ref(gp)],
        "managingOrganization": ref(TRUST_TEAM),
    }


def activity(performer: str, code: str | None = None, text: str = "an action") -> Json:
    detail: Json = {"status": "in-progress", "description": text, "performer": [ref(performer)]}
    if code:
        detail["code"] = {"coding": [{"system": CS + "crisis-contingency-content", "code": code}]}
    return {"detail": detail}


def care_plan(pid: str, category: Json, activities: list[Json], *labels: Json) -> Json:
    return {
        "resourceType": "CarePlan",
        "id": pid,
        "meta": meta(*labels),
        "text": {"status": "generated", "div": "<div>everything in the plan</div>"},
        "status": "active",
        "intent": "plan",
        "category": [category],
        "subject": ref(PATIENT),
        "description": "free text",
        "activity": activities,
    }


def participant(member: str, role: str, end: str | None = None) -> Json:
    out: Json = {"member": ref(member), "role": [{"coding": [{"system": CS + "care-team-role", "code": role}]}]}
    if end:
        out["period"] = {"start": "2024-01-01", "end": end}
    return out


def care_team(*participants: Json, managed_by: str = TRUST_TEAM) -> Json:
    return {
        "resourceType": "CareTeam",
        "id": "team",
        "managingOrganization": [ref(managed_by)],
        "text": {"status": "generated", "div": "<div>the whole team</div>"},
        "status": "active",
        "subject": ref(PATIENT),
        "participant": list(participants),
    }


def related_person(
    rid: str, *labels: Json, not_involved: bool = False, emergency: bool = False, assessed_by: str | None = None
) -> Json:
    extensions: list[Json] = []
    if not_involved:
        extensions.append(
            {"url": SD + "do-not-involve", "extension": [{"url": "recorded", "valueDateTime": "2024-01-01"}]}
        )
    if assessed_by:
        extensions.append(
            {
                "url": SD + "carers-assessment",
                "extension": [
                    {"url": "status", "valueCode": "offered"},
                    {"url": "assessingOrganisation", "valueReference": ref(assessed_by)},
                ],
            }
        )
    relationship = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "SIS"}]}]
    if emergency:
        relationship.append({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]})
    out: Json = {
        "resourceType": "RelatedPerson",
        "id": rid,
        "meta": meta(*labels),
        "patient": ref(PATIENT),
        "relationship": relationship,
        "telecom": [{"system": "phone", "value": "07700 900000"}],
    }
    if extensions:
        out["extension"] = extensions
    return out


def dialog_response(*labels: Json) -> Json:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "qr",
        "meta": meta(*labels, profile="fhircare-dialog-response"),
        "status": "completed",
        "subject": ref(PATIENT),
    }


def dialog_score() -> Json:
    return {
        "resourceType": "Observation",
        "id": "score",
        "meta": meta(profile="fhircare-dialog-score"),
        "status": "final",
        "subject": ref(PATIENT),
    }


def do_not_involve_flag(person: str = NOT_INVOLVED) -> Json:
    return {
        "resourceType": "Flag",
        "id": "dni",
        "meta": meta({"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}),
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/flag-detail", "valueReference": ref(person)}],
        "status": "active",
        "code": {"coding": [{"system": CS + "flag-code", "code": "do-not-involve"}]},
        "subject": ref(PATIENT),
    }


def consent(
    cid: str,
    *,
    permit: bool = True,
    actors: tuple[str, ...] = (),
    partner_types: tuple[str, ...] = (),
    classes: tuple[str, ...] = (),
    codes: tuple[Json, ...] = (),
    data: tuple[tuple[str, str], ...] = (),
    basis: str | None = "explicit-consent",
    purposes: tuple[str, ...] = (),
    start: str = "2024-01-01",
    end: str | None = None,
    status: str = "active",
    action: str = "disclose",
) -> Json:
    provision: Json = {
        "type": "permit" if permit else "deny",
        "period": {"start": start, **({"end": end} if end else {})},
        "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": action}]}],
    }
    if actors:
        provision["actor"] = [
            {
                "role": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]
                },
                "reference": ref(a),
            }
            for a in actors
        ]
    if partner_types:
        provision["extension"] = [
            {
                "url": SD + "partner-organisation-type",
                "valueCodeableConcept": {"coding": [{"system": CS + "partner-organisation-type", "code": t}]},
            }
            for t in partner_types
        ]
    if purposes:
        provision["purpose"] = [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": p} for p in purposes
        ]
    if classes:
        provision["class"] = [
            {"system": "http://hl7.org/fhir/resource-types", "code": c}
            if not c.startswith("http")
            else {"system": "urn:ietf:rfc:3986", "code": c}
            for c in classes
        ]
    if codes:
        provision["code"] = list(codes)
    if data:
        provision["data"] = [{"meaning": m, "reference": ref(r)} for m, r in data]
    out: Json = {
        "resourceType": "Consent",
        "id": cid,
        "status": status,
        "patient": ref(PATIENT),
        "provision": provision,
    }
    if basis:
        out["policyRule"] = {"coding": [{"system": CS + "consent-basis", "code": basis}]}
    return out


def record(*resources: Json) -> ServiceUserRecord:
    """The facts of a record holding ``resources``, with a Patient and a care team managed
    by the trust's team unless given."""
    given = {r["resourceType"] for r in resources}
    defaults = [patient()] if "Patient" not in given else []
    if "CareTeam" not in given:
        defaults.append(care_team(participant(LEAD, "key-worker")))
    return build_record("SU1", [*defaults, *resources], CRISIS_CATEGORIES)
