"""The access policy as a table: for each organisation type, hand-built records and what the
partner must (and must not) be shown. One row per rule of issue 13 and requirements §3-§4.

``expect`` is ``None`` (refused: answered as not found), ``"whole"`` (the resource as
stored) or a predicate on the narrowed view that is shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from fhircare.api.policy import decide, decide_why
from fhircare.api.policy_table import OrganisationType as O
from fhircare.api.service import trust_day
from fhircare.api.views import REDACTED as REDACTED_LABEL
from fhircare.mapping.ending import end_resource, hold_back, is_held_back, is_withdrawn
from tests.unit.api.builders import (
    CARER,
    CARER_CONFIDENTIAL,
    CONFIDENTIAL_R,
    COUNCIL,
    CRISIS,
    CS,
    GP_PRACTICE,
    LEAD,
    MAIN_PLAN,
    NOPAT,
    NOT_INVOLVED,
    OTHER_GP,
    OTHER_VCSE,
    PATIENT,
    PSYCHIATRIST,
    SD,
    SECTION_117,
    TODAY,
    TRUST_TEAM,
    VCSE_ORG,
    VERY_RESTRICTED,
    VIEWERS,
    activity,
    care_plan,
    care_team,
    consent,
    dialog_response,
    dialog_score,
    do_not_involve_flag,
    participant,
    patient,
    record,
    related_person,
)

Json = dict[str, Any]
Expect = None | str | Callable[[Json], bool]

MAIN = care_plan(
    "cp1",
    MAIN_PLAN,
    [
        activity(PATIENT),
        activity(VCSE_ORG, text="peer support group"),
        activity(COUNCIL, text="housing"),
        activity(LEAD),
    ],
)
NO_VCSE_ACTIONS = care_plan("cp2", MAIN_PLAN, [activity(PATIENT), activity(LEAD)])
CRISIS_PLAN = care_plan(
    "crisis",
    CRISIS,
    [
        activity(PATIENT, "trigger"),
        activity(LEAD, "crisis-contact", "call the key worker"),
        activity(CARER, "crisis-contact"),
    ],
)
CRISIS_NAMING_NOT_INVOLVED = care_plan(
    "crisis2", CRISIS, [activity(LEAD, "crisis-contact"), activity(NOT_INVOLVED, "crisis-contact")]
)
S117_PLAN = care_plan("s117", SECTION_117, [activity(COUNCIL, text="supported housing"), activity(LEAD)])
TEAM = care_team(
    participant(LEAD, "key-worker"),
    participant("PractitionerRole/old-lead", "key-worker", end="2024-06-01"),
    participant(PSYCHIATRIST, "psychiatrist"),
    participant(VCSE_ORG, "vcse-link-worker"),
)
CARER_RP = related_person("carer")
EMERGENCY = related_person("emergency", emergency=True)
ESTRANGED = related_person("estranged", not_involved=True)
ASSESSED = related_person("assessed", assessed_by=COUNCIL)
WITHHELD_CARER = related_person("carer", NOPAT, CARER_CONFIDENTIAL)

S117_RESPONSIBLE = {
    **care_plan("s117r", SECTION_117, [activity(LEAD)]),
    "extension": [
        {
            "url": SD + "section-117-aftercare",
            "extension": [
                {"url": "responsibleOrganisation", "valueReference": {"reference": "Organization/icb"}},
                {"url": "responsibleOrganisation", "valueReference": {"reference": COUNCIL}},
            ],
        }
    ],
}
#: a team of the trust performs an action but the care team is managed elsewhere
PERFORMED_BY_TRUST = care_plan("elsewhere", MAIN_PLAN, [activity(TRUST_TEAM)])
NEAREST_RELATIVE_FLAG = {
    "resourceType": "Flag",
    "id": "nr",
    "meta": {"security": [CONFIDENTIAL_R]},
    "status": "active",
    "code": {"coding": [{"system": CS + "flag-code", "code": "nearest-relative-not-involved"}]},
    "subject": {"reference": PATIENT},
}
CARER_TOLD = {
    "resourceType": "Communication",
    "id": "told",
    "meta": {"security": [CONFIDENTIAL_R, NOPAT, CARER_CONFIDENTIAL]},
    "status": "completed",
    "category": [{"coding": [{"system": CS + "communication-category", "code": "carer-information"}]}],
    "subject": {"reference": PATIENT},
    "sender": {"reference": CARER},
}


def profiled(rtype: str, rid: str, profile: str, **elements: Any) -> Json:
    """A resource of one service user's record marked by its profile (issue 10's kinds)."""
    subject = "patient" if rtype == "Consent" else ("for" if rtype == "Task" else "subject")
    return {
        "resourceType": rtype,
        "id": rid,
        "meta": {"profile": [SD + profile], "security": [CONFIDENTIAL_R]},
        subject: {"reference": PATIENT},
        **elements,
    }


TRIGGER = profiled("Observation", "trigger", "fhircare-crisis-plan-information", status="final")
ADVANCE_STATEMENT = profiled("Observation", "advance", "fhircare-advance-statement", status="final")
POINTER = profiled("DocumentReference", "pointer", "fhircare-crisis-plan-pointer", status="current")
NEED = profiled("Condition", "need", "fhircare-need")
STRENGTH = profiled("Observation", "strength", "fhircare-about-me", status="final")
REVIEW = profiled("Encounter", "review", "fhircare-care-plan-review", status="finished")
RISK = profiled("RiskAssessment", "risk", "fhircare-risk-assessment", status="final")
DEPOT = profiled("MedicationStatement", "depot", "fhircare-medication-statement", status="active")
DIALOG_ITEM = profiled("Observation", "item", "fhircare-dialog-item", status="final")
DIALOG_DECLINED = profiled("Task", "declined", "fhircare-dialog-offer", status="rejected")
CRISIS_POINTING = {
    **care_plan("crisis3", CRISIS, [activity(LEAD, "crisis-contact")]),
    "supportingInfo": [{"reference": "RiskAssessment/risk"}, {"reference": "MedicationStatement/depot"}],
}
S117_ENTITLEMENT = {
    "resourceType": "Flag",
    "id": "s117flag",
    "meta": {"security": [CONFIDENTIAL_R]},
    "status": "active",
    "code": {"coding": [{"system": CS + "flag-code", "code": "section-117-aftercare"}]},
    "subject": {"reference": PATIENT},
    "extension": [
        {
            "url": SD + "section-117-aftercare",
            "extension": [{"url": "responsibleOrganisation", "valueReference": {"reference": COUNCIL}}],
        }
    ],
}
S117_ENDED = {**S117_ENTITLEMENT, "id": "s117ended", "status": "inactive"}
#: a reasonable adjustment, as the mapping writes it (SNOMED CT 1108111000000107, labelled R)
ADJUSTMENT = {
    "resourceType": "Flag",
    "id": "ra",
    "meta": {"security": [CONFIDENTIAL_R], "profile": [SD + "fhircare-flag"]},
    "status": "active",
    "category": [{"coding": [{"system": CS + "reasonable-adjustment", "code": "contact-method"}]}],
    "code": {
        "coding": [{"system": "http://snomed.info/sct", "code": "1108111000000107"}],
        "text": "Reasonable adjustment for autism: quiet room, no phone calls, text first",
    },
    "extension": [{"url": SD + "reasonable-adjustment-condition", "valueString": "autism"}],
    "subject": {"reference": PATIENT},
}
#: the care team managed by a team of another trust than the viewer's
ELSEWHERE_TEAM = care_team(participant(LEAD, "key-worker"), managed_by="Organization/home-trust")
#: a permit to every VCSE partner involved in the care, for the crisis plan
VCSE_BY_TYPE = consent("vcse-type", partner_types=("vcse",), codes=(CRISIS,))


def placed(end: str | None) -> Json:
    """An out-of-area placement with the viewer's trust (an Encounter it provides), ending on ``end``."""
    return {
        "resourceType": "Encounter",
        "id": "placement",
        "status": "finished" if end else "in-progress",
        "class": {"code": "IMP"},
        "subject": {"reference": PATIENT},
        "serviceProvider": {"reference": TRUST_TEAM},
        "period": {"start": "2025-01-01", **({"end": end} if end else {})},
    }


def s117_until(end: str | None) -> Json:
    """A Section 117 after-care plan naming the council responsible, its entitlement ending on ``end``."""
    period = {"url": "period", "valuePeriod": {"start": "2024-01-01", **({"end": end} if end else {})}}
    return {
        **care_plan("s117u", SECTION_117, [activity(LEAD)]),
        "extension": [
            {
                "url": SD + "section-117-aftercare",
                "extension": [period, {"url": "responsibleOrganisation", "valueReference": {"reference": COUNCIL}}],
            }
        ],
    }


#: an Observation of none of the profiles the policy tells apart: the general kind
UNPROFILED_TRIGGER = {**TRIGGER, "id": "bare", "meta": {"security": [CONFIDENTIAL_R]}}

PLANS = ("CarePlan", "Goal", "CareTeam")
ENCOUNTER = {"resourceType": "Encounter", "id": "adm", "status": "finished", "subject": {"reference": PATIENT}}
EPISODE = {"resourceType": "EpisodeOfCare", "id": "ep", "status": "active", "patient": {"reference": PATIENT}}
DIRECTORY_ROLE = {"resourceType": "PractitionerRole", "id": "lead", "telecom": [{"system": "phone", "value": "01632"}]}


def only_activities(*texts: str) -> Callable[[Json], bool]:
    def check(shown: Json) -> bool:
        redacted = any(s.get("code") == "REDACTED" for s in shown["meta"]["security"])
        kept = sorted(a["detail"]["description"] for a in shown.get("activity", ()))
        return (
            redacted and kept == sorted(texts) and "description" not in shown and "everything" not in str(shown["text"])
        )

    return check


def only_members(*refs: str) -> Callable[[Json], bool]:
    def check(shown: Json) -> bool:
        kept = sorted(p["member"]["reference"] for p in shown["participant"])
        return kept == sorted(refs) and "the whole team" not in str(shown["text"])

    return check


def without_not_involved(shown: Json) -> bool:
    return NOT_INVOLVED not in str(shown["activity"]) and any(
        s.get("code") == "REDACTED" for s in shown["meta"]["security"]
    )


@dataclass(frozen=True)
class Row:
    name: str
    viewer: O
    resources: tuple[Json, ...]
    target: Json
    expect: Expect


VCSE_CARE_PLANS = consent("c-vcse", actors=(VCSE_ORG,), classes=PLANS, purposes=("COC",))
#: a permit to a VCSE partner for the plans and the service user's flags (their reasonable adjustments)
VCSE_FLAGS = consent("c-vcse-flags", actors=(VCSE_ORG,), classes=(*PLANS, "Flag"), purposes=("COC",))
VCSE_CRISIS = consent("c-vcse-crisis", actors=(VCSE_ORG,), classes=("CarePlan",), codes=(CRISIS,))

ROWS = [
    # --- GP: the plan, the care team with the lead, crisis contacts, legal status, DIALOG summary
    Row("gp sees its registered patient", O.GP, (), patient(), "whole"),
    Row("gp sees the plan", O.GP, (), MAIN, "whole"),
    Row("gp sees the crisis plan", O.GP, (CRISIS_PLAN,), CRISIS_PLAN, "whole"),
    Row("gp sees the care team", O.GP, (), TEAM, "whole"),
    Row("gp sees a crisis contact", O.GP, (CRISIS_PLAN,), CARER_RP, "whole"),
    Row("gp sees an emergency contact", O.GP, (), EMERGENCY, "whole"),
    Row("gp does not see other carers", O.GP, (), CARER_RP, None),
    Row("gp sees the legal status (encounter)", O.GP, (), ENCOUNTER, "whole"),
    Row("gp sees the episode", O.GP, (), EPISODE, "whole"),
    Row("gp sees the DIALOG summary", O.GP, (), dialog_score(), "whole"),
    Row("gp does not see DIALOG answers", O.GP, (), dialog_response(), None),
    Row("gp does not see consents", O.GP, (), consent("c1"), None),
    Row("gp sees the do-not-involve flag", O.GP, (ESTRANGED,), do_not_involve_flag(), "whole"),
    Row("gp never sees a do-not-involve person", O.GP, (CRISIS_NAMING_NOT_INVOLVED, ESTRANGED), ESTRANGED, None),
    Row(
        "a do-not-involve person is removed from a crisis plan",
        O.GP,
        (CRISIS_NAMING_NOT_INVOLVED, do_not_involve_flag()),
        CRISIS_NAMING_NOT_INVOLVED,
        without_not_involved,
    ),
    Row("another practice's patient is not seen", O.GP, (patient(OTHER_GP),), MAIN, None),
    Row("another practice's patient is not found", O.GP, (patient(OTHER_GP),), patient(OTHER_GP), None),
    Row("a refusal of everything hides the patient", O.GP, (consent("no", permit=False, basis=None),), patient(), None),
    Row(
        "a refusal of plans to the gp hides plans",
        O.GP,
        (consent("no", permit=False, actors=(GP_PRACTICE,), classes=("CarePlan",)),),
        MAIN,
        None,
    ),
    Row(
        "a refusal of plans leaves the care team",
        O.GP,
        (consent("no", permit=False, actors=(GP_PRACTICE,), classes=("CarePlan",)),),
        TEAM,
        "whole",
    ),
    Row(
        "a refusal wins over an override for risk",
        O.GP,
        (
            consent("no", permit=False, actors=(GP_PRACTICE,), classes=("CarePlan",)),
            consent("risk", actors=(GP_PRACTICE,), classes=("CarePlan",), basis="risk-override"),
        ),
        MAIN,
        None,
    ),
    Row("very restricted is never disclosed", O.GP, (), care_plan("v", MAIN_PLAN, [], VERY_RESTRICTED), None),
    Row("carer-confidential still reaches the gp for safety", O.GP, (CRISIS_PLAN,), WITHHELD_CARER, "whole"),
    Row("the directory is no one's record", O.GP, (), DIRECTORY_ROLE, "whole"),
    # --- VCSE: only with consent naming it; its own actions, the lead's contact, crisis contacts
    Row("vcse without consent sees no one", O.VCSE, (), patient(), None),
    Row("vcse without consent sees no plan", O.VCSE, (), MAIN, None),
    Row("vcse with consent sees the patient", O.VCSE, (VCSE_CARE_PLANS,), patient(), "whole"),
    Row("vcse sees only its own actions", O.VCSE, (VCSE_CARE_PLANS,), MAIN, only_activities("peer support group")),
    Row("a plan without its actions is not shown", O.VCSE, (VCSE_CARE_PLANS,), NO_VCSE_ACTIONS, None),
    Row(
        "vcse sees the lead and itself only",
        O.VCSE,
        (VCSE_CARE_PLANS,),
        TEAM,
        only_members(LEAD, VCSE_ORG),
    ),
    Row(
        "consent to another vcse is not consent to this one",
        O.VCSE,
        (consent("x", actors=(OTHER_VCSE,), classes=PLANS),),
        MAIN,
        None,
    ),
    Row(
        "consent to every vcse counts for one in the care team",
        O.VCSE,
        (TEAM, consent("t", partner_types=("vcse",), classes=PLANS)),
        MAIN,
        only_activities("peer support group"),
    ),
    Row(
        "consent to every vcse does not count for one outside the care",
        O.VCSE,
        (consent("t", partner_types=("vcse",), classes=PLANS),),
        NO_VCSE_ACTIONS,
        None,
    ),
    Row(
        "crisis consent shows the crisis contacts",
        O.VCSE,
        (VCSE_CRISIS,),
        CRISIS_PLAN,
        only_activities("call the key worker", "an action"),
    ),
    Row("crisis consent does not show the main plan", O.VCSE, (VCSE_CRISIS,), MAIN, None),
    Row("vcse never sees carers", O.VCSE, (VCSE_CARE_PLANS, CRISIS_PLAN), CARER_RP, None),
    Row(
        "vcse sees DIALOG when the consent covers it",
        O.VCSE,
        (
            consent(
                "d",
                actors=(VCSE_ORG,),
                classes=("https://fhir.fhircare.nhs.uk/StructureDefinition/fhircare-dialog-response",),
            ),
        ),
        dialog_response(),
        "whole",
    ),
    Row("vcse does not see DIALOG a plan consent does not cover", O.VCSE, (VCSE_CARE_PLANS,), dialog_response(), None),
    Row(
        "an ended consent permits nothing",
        O.VCSE,
        (consent("e", actors=(VCSE_ORG,), classes=PLANS, end="2025-01-01"),),
        MAIN,
        None,
    ),
    Row(
        "a future consent permits nothing",
        O.VCSE,
        (consent("f", actors=(VCSE_ORG,), classes=PLANS, start="2026-01-01"),),
        MAIN,
        None,
    ),
    Row(
        "an inactive consent permits nothing",
        O.VCSE,
        (consent("i", actors=(VCSE_ORG,), classes=PLANS, status="inactive"),),
        MAIN,
        None,
    ),
    Row(
        "a consent for another purpose permits nothing",
        O.VCSE,
        (consent("p", actors=(VCSE_ORG,), classes=PLANS, purposes=("ETREAT",)),),
        MAIN,
        None,
    ),
    Row(
        "a refusal wins over consent",
        O.VCSE,
        (VCSE_CARE_PLANS, consent("no", permit=False, actors=(VCSE_ORG,), classes=("CarePlan",))),
        MAIN,
        None,
    ),
    Row("a permit naming nothing covers nothing", O.VCSE, (consent("n", actors=(VCSE_ORG,)),), MAIN, None),
    Row(
        "a permit naming nothing still names the partner",
        O.VCSE,
        (consent("n", actors=(VCSE_ORG,)),),
        patient(),
        "whole",
    ),
    Row(
        "a decision to collect discloses nothing",
        O.VCSE,
        (consent("k", actors=(VCSE_ORG,), classes=PLANS, action="collect"),),
        patient(),
        None,
    ),
    Row(
        "data limits a consent to one plan",
        O.VCSE,
        (consent("one", actors=(VCSE_ORG,), classes=("CarePlan",), data=(("instance", "CarePlan/other"),)),),
        MAIN,
        None,
    ),
    # --- local authority: Section 117, Care Act parts, carers' assessments, on their legal basis
    Row("la without a basis sees no one", O.LOCAL_AUTHORITY, (), S117_PLAN, None),
    Row(
        "la sees section 117 after-care on its legal duty",
        O.LOCAL_AUTHORITY,
        (
            consent(
                "s117", actors=(COUNCIL,), classes=("CarePlan",), codes=(SECTION_117,), basis="legal-duty-section-117"
            ),
            S117_ENTITLEMENT,
        ),
        S117_PLAN,
        "whole",
    ),
    # DE-007, R-48: the duty lasts until the ICB and the council agree the entitlement has
    # ended; a permit resting on it then permits nothing (a review found the council still
    # reading the whole plan, 2026-12-07)
    Row(
        "a section 117 legal duty ends with the entitlement",
        O.LOCAL_AUTHORITY,
        (
            consent(
                "s117", actors=(COUNCIL,), classes=("CarePlan",), codes=(SECTION_117,), basis="legal-duty-section-117"
            ),
            S117_ENDED,
        ),
        S117_PLAN,
        None,
    ),
    Row(
        "a section 117 legal duty is the responsible body's, not another's",
        O.LOCAL_AUTHORITY,
        (
            consent(
                "s117", actors=(COUNCIL,), classes=("CarePlan",), codes=(SECTION_117,), basis="legal-duty-section-117"
            ),
            {
                **S117_ENTITLEMENT,
                "id": "s117other",
                "extension": [
                    {
                        "url": SD + "section-117-aftercare",
                        "extension": [
                            {"url": "responsibleOrganisation", "valueReference": {"reference": "Organization/other-la"}}
                        ],
                    }
                ],
            },
        ),
        S117_PLAN,
        None,
    ),
    Row(
        "a section 117 legal duty ends when the entitlement's period does",
        O.LOCAL_AUTHORITY,
        (consent("s117", actors=(COUNCIL,), classes=("CarePlan",), basis="legal-duty-section-117"),),
        s117_until("2025-03-31"),
        None,
    ),
    Row(
        "a section 117 legal duty lasts while the entitlement's period does",
        O.LOCAL_AUTHORITY,
        (consent("s117", actors=(COUNCIL,), classes=("CarePlan",), basis="legal-duty-section-117"),),
        s117_until("2026-03-31"),
        "whole",
    ),
    Row(
        "a refusal wins over a legal duty too",
        O.LOCAL_AUTHORITY,
        (
            consent(
                "s117", actors=(COUNCIL,), classes=("CarePlan",), codes=(SECTION_117,), basis="legal-duty-section-117"
            ),
            consent("no", permit=False, actors=(COUNCIL,)),
        ),
        S117_PLAN,
        None,
    ),
    Row(
        "la sees its own Care Act actions",
        O.LOCAL_AUTHORITY,
        (consent("ca", actors=(COUNCIL,), classes=("CarePlan",), basis="legal-duty-care-act"),),
        MAIN,
        only_activities("housing"),
    ),
    Row(
        "a care act duty does not open section 117 plans",
        O.LOCAL_AUTHORITY,
        (consent("ca", actors=(COUNCIL,), classes=("CarePlan",), codes=(MAIN_PLAN,), basis="legal-duty-care-act"),),
        S117_PLAN,
        None,
    ),
    Row(
        "la sees the carer it assesses",
        O.LOCAL_AUTHORITY,
        (consent("cr", actors=(COUNCIL,), classes=("RelatedPerson",), basis="legal-duty-carers-assessment"),),
        ASSESSED,
        "whole",
    ),
    Row(
        "la does not see carers it does not assess",
        O.LOCAL_AUTHORITY,
        (consent("cr", actors=(COUNCIL,), classes=("RelatedPerson",), basis="legal-duty-carers-assessment"),),
        CARER_RP,
        None,
    ),
    Row(
        "la does not see DIALOG",
        O.LOCAL_AUTHORITY,
        (consent("all", actors=(COUNCIL,), classes=("QuestionnaireResponse",)),),
        dialog_response(),
        None,
    ),
    # --- urgent care: the crisis plan
    Row("urgent care sees anyone's crisis plan", O.URGENT_CARE, (patient(OTHER_GP),), CRISIS_PLAN, "whole"),
    Row("urgent care does not see the main plan", O.URGENT_CARE, (), MAIN, None),
    Row("urgent care sees a crisis contact", O.URGENT_CARE, (CRISIS_PLAN,), CARER_RP, "whole"),
    Row("urgent care sees the lead's contact", O.URGENT_CARE, (), TEAM, only_members(LEAD)),
    Row("urgent care sees the do-not-involve flag", O.URGENT_CARE, (), do_not_involve_flag(), "whole"),
    Row("urgent care does not see DIALOG", O.URGENT_CARE, (), dialog_score(), None),
    Row(
        "urgent care never sees a do-not-involve person", O.URGENT_CARE, (CRISIS_NAMING_NOT_INVOLVED,), ESTRANGED, None
    ),
    # --- another NHS trust involved in the care
    Row("an involved trust sees the plan", O.NHS_TRUST, (), MAIN, "whole"),
    Row("an involved trust sees consents", O.NHS_TRUST, (), consent("c1"), "whole"),
    Row("an involved trust sees carers' information", O.NHS_TRUST, (), WITHHELD_CARER, "whole"),
    Row(
        "an uninvolved trust sees nothing",
        O.NHS_TRUST,
        (care_team(participant(LEAD, "key-worker"), managed_by="Organization/elsewhere"),),
        MAIN,
        None,
    ),
    # --- the service user's app: their record, never what a carer asked to keep from them
    Row(
        "the app sees an enrolled service user's plan",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",), purposes=("PATRQT",)),),
        MAIN,
        "whole",
    ),
    Row("the app sees no one not enrolled", O.SERVICE_USER_APP, (), MAIN, None),
    Row(
        "the app never sees what a carer withheld",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        WITHHELD_CARER,
        None,
    ),
    Row(
        "the app never sees a carer-confidential label",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        dialog_response(CARER_CONFIDENTIAL),
        None,
    ),
    Row(
        "the app sees a carer who withheld nothing",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        CARER_RP,
        "whole",
    ),
    Row(
        "the app never sees a do-not-involve person",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        ESTRANGED,
        None,
    ),
    Row(
        "an override for risk permits where nothing was refused",
        O.VCSE,
        (consent("risk", actors=(VCSE_ORG,), classes=PLANS, basis="risk-override"),),
        MAIN,
        only_activities("peer support group"),
    ),
    Row(
        "best interests without a capacity assessment permits nothing",
        O.VCSE,
        (consent("bi", actors=(VCSE_ORG,), classes=PLANS, basis="best-interests"),),
        patient(),
        None,
    ),
    Row(
        "best interests on a capacity assessment permits",
        O.VCSE,
        (
            {
                **consent("bi", actors=(VCSE_ORG,), classes=PLANS, basis="best-interests"),
                "extension": [
                    {"url": SD + "capacity-assessment", "valueReference": {"reference": "Observation/capacity"}}
                ],
            },
        ),
        MAIN,
        only_activities("peer support group"),
    ),
    Row(
        "the la responsible for section 117 sees the after-care plan", O.LOCAL_AUTHORITY, (), S117_RESPONSIBLE, "whole"
    ),
    Row(
        "the la responsible for section 117 sees the patient",
        O.LOCAL_AUTHORITY,
        (S117_RESPONSIBLE,),
        patient(),
        "whole",
    ),
    Row(
        "the la responsible for section 117 does not see the rest of the plan",
        O.LOCAL_AUTHORITY,
        (S117_RESPONSIBLE,),
        NO_VCSE_ACTIONS,
        None,
    ),
    Row(
        "a trust merely performing an action sees nothing",
        O.NHS_TRUST,
        (care_team(participant(LEAD, "key-worker"), managed_by="Organization/elsewhere"),),
        PERFORMED_BY_TRUST,
        None,
    ),
    Row("gp sees the nearest-relative flag", O.GP, (), NEAREST_RELATIVE_FLAG, "whole"),
    Row("gp sees what carers told the team, for safety", O.GP, (), CARER_TOLD, "whole"),
    # IS-08, IS-12 vs DE-173: the service user refusing to share anything with a carer does
    # not make the carer someone not to be involved (a review found them erased, 2026-12-07)
    Row(
        "a refusal to share with a carer leaves who told the team what",
        O.GP,
        (consent("not-her", permit=False, actors=(CARER,)),),
        CARER_TOLD,
        "whole",
    ),
    Row(
        "a refusal to share with a carer leaves them a crisis contact",
        O.URGENT_CARE,
        (CRISIS_PLAN, consent("not-her", permit=False, actors=(CARER,))),
        CARER_RP,
        "whole",
    ),
    Row(
        "a refusal to share with a carer leaves them in the crisis plan",
        O.URGENT_CARE,
        (consent("not-her", permit=False, actors=(CARER,)),),
        CRISIS_PLAN,
        "whole",
    ),
    Row("vcse never sees what carers told the team", O.VCSE, (VCSE_CARE_PLANS,), CARER_TOLD, None),
    Row(
        "the app never sees what a carer asked to keep from them",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        CARER_TOLD,
        None,
    ),
    # --- issue 10: what partners need to act on the plan, each kind to whom it is given
    Row("gp sees what the crisis plan points to", O.GP, (), TRIGGER, "whole"),
    Row("gp sees the advance statement", O.GP, (), ADVANCE_STATEMENT, "whole"),
    Row("gp sees the needs the plan addresses", O.GP, (), NEED, "whole"),
    Row("gp sees the service user's strengths", O.GP, (), STRENGTH, "whole"),
    Row("gp sees the plan's reviews", O.GP, (), REVIEW, "whole"),
    Row("gp sees medication it must know about", O.GP, (), DEPOT, "whole"),
    Row("gp sees the section 117 entitlement", O.GP, (), S117_ENTITLEMENT, "whole"),
    Row("gp does not see the risk assessment", O.GP, (), RISK, None),
    Row("gp does not see DIALOG item scores", O.GP, (), DIALOG_ITEM, None),
    Row("gp does not see a declined DIALOG offer", O.GP, (), DIALOG_DECLINED, None),
    Row(
        "a refusal of observations to the gp hides crisis information",
        O.GP,
        (consent("no", permit=False, actors=(GP_PRACTICE,), classes=("Observation",)),),
        TRIGGER,
        None,
    ),
    Row("urgent care finds the crisis plan pointer", O.URGENT_CARE, (patient(OTHER_GP),), POINTER, "whole"),
    Row("urgent care sees triggers and warning signs", O.URGENT_CARE, (), TRIGGER, "whole"),
    Row("urgent care sees the advance statement", O.URGENT_CARE, (), ADVANCE_STATEMENT, "whole"),
    Row("urgent care sees the legal status flags", O.URGENT_CARE, (), S117_ENTITLEMENT, "whole"),
    Row(
        "a refusal to urgent care services hides the crisis plan",
        O.URGENT_CARE,
        (consent("no", permit=False, partner_types=("ambulance-service",), classes=("CarePlan",)),),
        CRISIS_PLAN,
        None,
    ),
    Row("urgent care does not see needs", O.URGENT_CARE, (), NEED, None),
    Row("urgent care does not see the risk assessment", O.URGENT_CARE, (), RISK, None),
    Row("urgent care does not see medication", O.URGENT_CARE, (), DEPOT, None),
    Row("urgent care sees the risk assessment the crisis plan names", O.URGENT_CARE, (CRISIS_POINTING,), RISK, "whole"),
    Row("urgent care sees the medication the crisis plan names", O.URGENT_CARE, (CRISIS_POINTING,), DEPOT, "whole"),
    Row("gp sees the risk assessment the crisis plan names", O.GP, (CRISIS_POINTING,), RISK, "whole"),
    Row(
        "a refusal of risk assessments to urgent care wins",
        O.URGENT_CARE,
        (CRISIS_POINTING, consent("no", permit=False, actors=("Organization/ucc",), classes=("RiskAssessment",))),
        RISK,
        None,
    ),
    Row("urgent care does not see reviews", O.URGENT_CARE, (), REVIEW, None),
    Row("urgent care does not see an unprofiled observation", O.URGENT_CARE, (), UNPROFILED_TRIGGER, None),
    Row("vcse with a plan consent does not see crisis information", O.VCSE, (VCSE_CARE_PLANS,), TRIGGER, None),
    Row("vcse with a crisis consent does not see triggers", O.VCSE, (VCSE_CRISIS,), TRIGGER, None),
    Row(
        "vcse sees DIALOG item scores when the consent covers them",
        O.VCSE,
        (consent("d", actors=(VCSE_ORG,), classes=("Observation",)),),
        DIALOG_ITEM,
        "whole",
    ),
    Row("vcse never sees risk", O.VCSE, (consent("all", actors=(VCSE_ORG,), classes=("RiskAssessment",)),), RISK, None),
    Row("the la responsible sees the section 117 entitlement", O.LOCAL_AUTHORITY, (), S117_ENTITLEMENT, "whole"),
    Row(
        "the entitlement alone lets the la responsible see the patient",
        O.LOCAL_AUTHORITY,
        (S117_ENTITLEMENT,),
        patient(),
        "whole",
    ),
    Row("an ended entitlement does not open the patient", O.LOCAL_AUTHORITY, (S117_ENDED,), patient(), None),
    Row("la does not see medication", O.LOCAL_AUTHORITY, (S117_ENTITLEMENT,), DEPOT, None),
    Row("la does not see other flags", O.LOCAL_AUTHORITY, (S117_ENTITLEMENT,), NEAREST_RELATIVE_FLAG, None),
    *[
        Row(f"an involved trust sees {r['resourceType']}/{r['id']}", O.NHS_TRUST, (), r, "whole")
        for r in (TRIGGER, POINTER, NEED, STRENGTH, REVIEW, RISK, DEPOT, DIALOG_ITEM, DIALOG_DECLINED)
    ],
    *[
        Row(
            f"the app sees {r['resourceType']}/{r['id']}",
            O.SERVICE_USER_APP,
            (consent("app", actors=("Organization/app",)),),
            r,
            "whole",
        )
        for r in (TRIGGER, ADVANCE_STATEMENT, POINTER, NEED, STRENGTH, REVIEW, RISK, DEPOT, DIALOG_ITEM)
    ],
    # --- what a review found (hazard log H04, H05, H12): a narrow consent stays narrow for
    # another trust; involvement and a Section 117 duty end when what made them ends
    *[
        Row(
            f"another trust with a crisis-plan consent sees {r['resourceType']}/{r['id']}: {expect}",
            O.NHS_TRUST,
            (ELSEWHERE_TEAM, consent("oap", actors=(TRUST_TEAM,), codes=(CRISIS,))),
            r,
            expect,
        )
        for r, expect in ((CRISIS_PLAN, "whole"), (MAIN, None), (DIALOG_ITEM, None), (RISK, None), (patient(), "whole"))
    ],
    Row("the managing trust still sees the whole record", O.NHS_TRUST, (), MAIN, "whole"),
    *[
        Row(
            f"a trust the service user is placed with sees {r['resourceType']}/{r['id']} (P-05 handover)",
            O.NHS_TRUST,
            (ELSEWHERE_TEAM, placed(None)),
            r,
            "whole",
        )
        for r in (patient(), MAIN, CRISIS_PLAN, RISK)
    ],
    *[
        Row(
            f"a trust whose placement is {status} sees nothing, whatever its period says",
            O.NHS_TRUST,
            (ELSEWHERE_TEAM, {**placed("2025-12-31"), "status": status}),
            MAIN,
            None,
        )
        # "unknown": the mapping's word for an encounter the extract no longer holds
        for status in ("unknown", "cancelled", "entered-in-error", "finished")
    ],
    Row(
        "a placement whose end is a month covers the whole month",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, {**placed(TODAY.isoformat()[:7]), "status": "in-progress"}),
        MAIN,
        "whole",
    ),
    Row(
        "a placement that ended in an earlier month has ended",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, {**placed("2025-06"), "status": "in-progress"}),
        MAIN,
        None,
    ),
    Row(
        "a placement whose end is not a date has ended (fail closed)",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, {**placed("2025-13-45"), "status": "in-progress"}),
        MAIN,
        None,
    ),
    Row(
        "a vcse partner in a team suspended (the service user in prison) is still involved",
        O.VCSE,
        (
            {**care_team(participant(LEAD, "key-worker"), participant(VCSE_ORG, "support")), "status": "suspended"},
            VCSE_BY_TYPE,
        ),
        CRISIS_PLAN,
        lambda shown: shown["id"] == "crisis",
    ),
    Row(
        "a vcse partner acting in a revoked plan is not involved, whatever its end date",
        O.VCSE,
        (
            {**care_plan("old", MAIN_PLAN, [activity(VCSE_ORG)]), "status": "revoked", "period": {"end": "2026-03-31"}},
            VCSE_BY_TYPE,
        ),
        CRISIS_PLAN,
        None,
    ),
    Row(
        "a permit that ended in an earlier month has ended",
        O.VCSE,
        (consent("month", actors=(VCSE_ORG,), codes=(CRISIS,), end="2025-06"),),
        CRISIS_PLAN,
        None,
    ),
    Row(
        "a refusal whose end is not a date still refuses (fail safe)",
        O.GP,
        (consent("no", permit=False, actors=(GP_PRACTICE,), codes=(MAIN_PLAN,), end="2025-13-45"),),
        MAIN,
        None,
    ),
    Row(
        "a trust whose placement ended sees nothing",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, placed("2025-03-01")),
        MAIN,
        None,
    ),
    Row(
        "a trust the service user is placed with sees nothing the service user refused it",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, placed(None), consent("no", permit=False, actors=(TRUST_TEAM,))),
        MAIN,
        None,
    ),
    Row(
        "a vcse partner still in the team is involved for a type-wide consent",
        O.VCSE,
        (care_team(participant(LEAD, "key-worker"), participant(VCSE_ORG, "support")), VCSE_BY_TYPE),
        CRISIS_PLAN,
        lambda shown: shown["id"] == "crisis",
    ),
    Row(
        "a vcse partner whose membership ended is not involved any more",
        O.VCSE,
        (care_team(participant(LEAD, "key-worker"), participant(VCSE_ORG, "support", end="2025-02-01")), VCSE_BY_TYPE),
        CRISIS_PLAN,
        None,
    ),
    Row(
        "a vcse partner acting only in a completed plan is not involved any more",
        O.VCSE,
        ({**care_plan("old", MAIN_PLAN, [activity(VCSE_ORG)]), "status": "completed"}, VCSE_BY_TYPE),
        CRISIS_PLAN,
        None,
    ),
    Row("the la responsible sees the s117 plan while the duty lasts", O.LOCAL_AUTHORITY, (), s117_until(None), "whole"),
    Row(
        "the la responsible sees the s117 plan until the duty's last day",
        O.LOCAL_AUTHORITY,
        (),
        s117_until(TODAY.isoformat()),
        "whole",
    ),
    Row("the la sees no s117 plan once the duty has ended", O.LOCAL_AUTHORITY, (), s117_until("2025-05-01"), None),
    Row(
        "an ended duty on the plans does not open the patient",
        O.LOCAL_AUTHORITY,
        (s117_until("2025-05-01"),),
        patient(),
        None,
    ),
    Row("an ended entitlement flag shows nothing", O.LOCAL_AUTHORITY, (S117_ENTITLEMENT,), S117_ENDED, None),
    Row(
        "the app enrolled by a permit from the extract (to coordinate care) sees the plan",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",), purposes=("COC",)),),
        MAIN,
        "whole",
    ),
    Row(
        "the app is not enrolled by a permit for another purpose",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",), purposes=("ETREAT",)),),
        MAIN,
        None,
    ),
    # --- reasonable adjustments: whoever may see the service user at all, so that everyone
    # giving care can make them; never where the service user is not seen, nor past a refusal
    Row("gp sees a reasonable adjustment", O.GP, (), ADJUSTMENT, "whole"),
    Row("another practice does not see a reasonable adjustment", O.GP, (patient(OTHER_GP),), ADJUSTMENT, None),
    Row("urgent care sees a reasonable adjustment", O.URGENT_CARE, (), ADJUSTMENT, "whole"),
    Row("vcse with consent to the flag sees a reasonable adjustment", O.VCSE, (VCSE_FLAGS,), ADJUSTMENT, "whole"),
    # an adjustment names its condition ("for autism"): a consent for the plans does not disclose it
    Row(
        "vcse with consent to plans only does not see a reasonable adjustment",
        O.VCSE,
        (VCSE_CARE_PLANS,),
        ADJUSTMENT,
        None,
    ),
    Row("vcse without consent does not see a reasonable adjustment", O.VCSE, (), ADJUSTMENT, None),
    Row(
        "vcse does not see a reasonable adjustment its partner was refused",
        O.VCSE,
        (VCSE_CARE_PLANS, consent("no", permit=False, actors=(VCSE_ORG,), classes=("Flag",))),
        ADJUSTMENT,
        None,
    ),
    Row("vcse with consent still does not see other flags", O.VCSE, (VCSE_CARE_PLANS,), NEAREST_RELATIVE_FLAG, None),
    Row(
        "la responsible for section 117 without consent to the flag does not see a reasonable adjustment",
        O.LOCAL_AUTHORITY,
        (S117_ENTITLEMENT,),
        ADJUSTMENT,
        None,
    ),
    Row(
        "la with a consent for plans only does not see a reasonable adjustment",
        O.LOCAL_AUTHORITY,
        (consent("la", actors=(COUNCIL,), classes=("CarePlan",)),),
        ADJUSTMENT,
        None,
    ),
    Row(
        "la with consent to the flag sees a reasonable adjustment",
        O.LOCAL_AUTHORITY,
        (S117_ENTITLEMENT, consent("la", actors=(COUNCIL,), classes=("CarePlan", "Flag"))),
        ADJUSTMENT,
        "whole",
    ),
    Row("la with no basis does not see a reasonable adjustment", O.LOCAL_AUTHORITY, (), ADJUSTMENT, None),
    Row("the managing trust sees a reasonable adjustment", O.NHS_TRUST, (), ADJUSTMENT, "whole"),
    Row(
        "a trust reading on a permit for plans sees a reasonable adjustment",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM, consent("t", actors=(TRUST_TEAM,), classes=("CarePlan",))),
        ADJUSTMENT,
        "whole",
    ),
    Row(
        "a trust not in the care does not see a reasonable adjustment",
        O.NHS_TRUST,
        (ELSEWHERE_TEAM,),
        ADJUSTMENT,
        None,
    ),
    Row(
        "the app shows the service user their own reasonable adjustment",
        O.SERVICE_USER_APP,
        (consent("app", actors=("Organization/app",)),),
        ADJUSTMENT,
        "whole",
    ),
    # --- the administrator reads AuditEvents only
    Row("the administrator reads no record", O.ADMIN, (), MAIN, None),
    Row("the administrator reads no directory", O.ADMIN, (), DIRECTORY_ROLE, None),
    Row("the administrator reads AuditEvents", O.ADMIN, (), {"resourceType": "AuditEvent", "id": "a"}, "whole"),
    Row("nobody else reads AuditEvents", O.NHS_TRUST, (), {"resourceType": "AuditEvent", "id": "a"}, None),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_the_policy_table(row: Row) -> None:
    shared = row.target["resourceType"] in ("PractitionerRole", "AuditEvent")
    resources = [
        r for r in row.resources if r["resourceType"] != row.target["resourceType"] or r["id"] != row.target["id"]
    ]
    facts = None if shared else record(*resources, row.target)
    shown = decide(VIEWERS[row.viewer], row.target, facts, TODAY)
    if row.expect is None:
        assert shown is None
    elif row.expect == "whole":
        assert shown == row.target
    else:
        assert shown is not None and callable(row.expect) and row.expect(shown), shown


ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


@pytest.mark.parametrize(
    ("viewer", "resources", "ethnicity_shown"),
    [
        (O.GP, (), True),
        (O.URGENT_CARE, (), True),
        (O.VCSE, (VCSE_CRISIS,), False),
        (O.LOCAL_AUTHORITY, (consent("la", actors=(COUNCIL,), classes=("CarePlan",)),), False),
    ],
)
def test_the_ethnic_category_is_for_direct_care(viewer: O, resources: tuple[Json, ...], ethnicity_shown: bool) -> None:
    """Special category data (UK GDPR Art. 9) a partner outside direct care does not need
    to support someone: a VCSE partner with a crisis-plan consent, or a council, sees who
    the service user is and that they need an interpreter, not their ethnic category (a
    review found it shown to them once the Patient carried it, 2026-12-07)."""
    target = {
        **patient(),
        "extension": [
            {"url": ETHNIC_CATEGORY, "valueCodeableConcept": {"coding": [{"code": "A"}]}},
            {"url": INTERPRETER, "valueBoolean": True},
        ],
    }
    shown = decide(VIEWERS[viewer], target, record(*resources, target), TODAY)
    assert shown is not None
    urls = {e["url"] for e in shown.get("extension", ())}
    assert INTERPRETER in urls
    assert (ETHNIC_CATEGORY in urls) is ethnicity_shown
    assert (shown == target) is ethnicity_shown


def test_every_organisation_type_has_rows() -> None:
    assert {r.viewer for r in ROWS} == set(O)


@pytest.mark.parametrize(
    ("viewer", "resources", "target", "shown_when_held_back"),
    [
        (O.VCSE, (VCSE_CRISIS,), CRISIS_PLAN, False),  # a permit: not while held back
        (O.LOCAL_AUTHORITY, (consent("la", actors=(COUNCIL,), classes=("CarePlan",)),), patient(), False),
        (O.SERVICE_USER_APP, (consent("app", actors=("Organization/app",)),), MAIN, False),
        (O.GP, (), MAIN, True),  # direct care does not rest on a permit
        (O.URGENT_CARE, (), CRISIS_PLAN, True),  # nor does the crisis plan in a crisis
        (O.NHS_TRUST, (), MAIN, True),  # the trust managing the care
        (O.GP, (consent("no", permit=False, actors=(GP_PRACTICE,), codes=(MAIN_PLAN,)),), MAIN, False),
    ],
)
def test_a_held_back_record_counts_no_permit(
    viewer: O, resources: tuple[Json, ...], target: Json, shown_when_held_back: bool
) -> None:
    # the service user's latest extract was rejected (hazard log H04): the stored record may
    # predate a withdrawn consent, so no permit in it counts; refusals still do
    facts = record(*resources, target)
    assert (decide(VIEWERS[viewer], target, facts, TODAY) is not None) == (viewer is not O.GP or not resources)
    facts.held_back = True
    facts.memo.clear()
    assert (decide(VIEWERS[viewer], target, facts, TODAY) is not None) is shown_when_held_back


def test_the_policy_decides_by_the_trusts_day() -> None:
    # a consent ending on 30 June has ended at midnight in London, an hour before midnight
    # UTC in summer (EC-93: the time zone is Europe/London)
    assert trust_day(datetime(2025, 6, 30, 23, 30, tzinfo=UTC)) == TODAY
    assert trust_day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)).isoformat() == "2025-12-31"


NAMED_BY_ESTRANGED = [
    {
        "resourceType": "Observation",
        "id": "ews",
        "meta": {"security": [CONFIDENTIAL_R]},
        "text": {"status": "generated", "div": "<div>Early warning sign (noticed by Estranged Person)</div>"},
        "status": "final",
        "code": {"text": "early warning sign"},
        "subject": {"reference": PATIENT},
        "performer": [{"reference": NOT_INVOLVED}, {"reference": LEAD}],
    },
    {
        "resourceType": "Goal",
        "id": "g",
        "text": {"status": "generated", "div": "<div>Said by Estranged Person</div>"},
        "lifecycleStatus": "active",
        "description": {"text": "keep well"},
        "subject": {"reference": PATIENT},
        "expressedBy": {"reference": NOT_INVOLVED},
    },
    {
        "resourceType": "Encounter",
        "id": "review",
        "text": {"status": "generated", "div": "<div>Took part: Estranged Person</div>"},
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": PATIENT},
        "participant": [{"individual": {"reference": NOT_INVOLVED}}, {"individual": {"reference": LEAD}}],
    },
]


@pytest.mark.parametrize("target", NAMED_BY_ESTRANGED, ids=lambda r: r["resourceType"])
@pytest.mark.parametrize("viewer", [O.GP, O.NHS_TRUST, O.SERVICE_USER_APP])
def test_a_person_not_to_be_involved_is_named_nowhere(viewer: O, target: Json) -> None:
    # H02: the person is removed from the plan and the team, and from anything else that
    # names them (an early warning sign they noticed, a goal they voiced, a review they were
    # at), with the narrative that names them
    resources = (ESTRANGED, consent("app", actors=("Organization/app",)))
    shown = decide(VIEWERS[viewer], target, record(*resources, target), TODAY)
    if viewer is O.GP and target["resourceType"] == "Observation":
        return  # the GP sees no unprofiled observation at all
    assert shown is not None
    assert NOT_INVOLVED not in json.dumps(shown) and "Estranged" not in json.dumps(shown)
    assert LEAD in json.dumps(shown) or target["resourceType"] == "Goal"  # the rest is kept
    assert REDACTED_LABEL in shown["meta"]["security"]


def test_a_record_without_such_a_person_is_shown_as_stored() -> None:
    target = NAMED_BY_ESTRANGED[1]
    assert decide(VIEWERS[O.NHS_TRUST], target, record(target), TODAY) == target


def test_a_refusal_naming_the_person_is_shown_with_their_name() -> None:
    # the refusal names the person so that no one involves them: without the reference it
    # would read as a refusal to everyone (found by review)
    refusal = consent("no-dave", permit=False, actors=(NOT_INVOLVED,))
    shown = decide(
        VIEWERS[O.SERVICE_USER_APP],
        refusal,
        record(ESTRANGED, refusal, consent("app", actors=("Organization/app",))),
        TODAY,
    )
    assert shown == refusal


#: the "decision needed" Flag of a nearest relative the service user does not want involved,
#: as the mapping writes it: it names the relative (flag-detail, code.text, narrative) so that
#: the care team, with an AMHP, decide how their statutory rights are met (H03)
NEAREST_RELATIVE_DECISION = {
    **NEAREST_RELATIVE_FLAG,
    "text": {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Decision needed: Estranged Person (father) is the'
        " nearest relative under the Mental Health Act 1983 but does not want them involved.</p><p>The care"
        " team must decide, with an approved mental health professional, how their rights are met.</p></div>",
    },
    "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/flag-detail", "valueReference": {"reference": NOT_INVOLVED}},
        {"url": "http://hl7.org/fhir/StructureDefinition/flag-detail", "valueReference": {"reference": "Consent/nr"}},
    ],
    "code": {
        **NEAREST_RELATIVE_FLAG["code"],
        "text": "Decision needed: Estranged Person (father) is the nearest relative but is not to be involved",
    },
}


@pytest.mark.parametrize("viewer", [O.GP, O.URGENT_CARE, O.NHS_TRUST, O.SERVICE_USER_APP])
def test_the_nearest_relative_decision_flag_keeps_whom_it_is_about(viewer: O) -> None:
    # H03: the flag raised so that a nearest relative's statutory rights are decided was
    # shown with its link to the relative removed and its "decision needed" narrative
    # replaced, as if it were any resource naming a person not to be involved, while its
    # code.text still named them (found by the API review, 2026-12-07): like the
    # do-not-involve Flag, it names the person for a reason
    facts = record(ESTRANGED, NEAREST_RELATIVE_DECISION, consent("app", actors=("Organization/app",)))
    assert decide(VIEWERS[viewer], NEAREST_RELATIVE_DECISION, facts, TODAY) == NEAREST_RELATIVE_DECISION


@pytest.mark.parametrize(
    ("viewer", "target"),
    [
        (O.URGENT_CARE, TEAM),  # narrowed to the lead's contact
        (O.URGENT_CARE, CRISIS_PLAN),  # whole
        (O.GP, MAIN),  # whole
    ],
)
def test_a_held_back_record_says_it_is_not_current_in_every_view(viewer: O, target: Json) -> None:
    """H10: what direct care reads of a held-back record (the last good one) says first that
    it is not current, also where a view replaces the narrative."""
    whole = {**target, "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">plan</div>'}}
    held = hold_back(whole, TODAY)
    facts = record(held)
    facts.held_back = True
    shown = decide(VIEWERS[viewer], held, facts, TODAY)
    assert shown is not None
    assert is_held_back(shown)
    div = shown["text"]["div"]
    assert div.index("Not current") < div.index("</p>"), div


def test_an_ended_resource_says_so_in_every_view() -> None:
    """H09: that a resource is no longer in the trust's record is kept where a view keeps
    only some elements (urgent care's view of a care team), in its data and in words (a
    review found the words dropped with the narrative)."""
    team = {**TEAM, "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">team</div>'}}
    ended = end_resource(team, TODAY)
    shown = decide(VIEWERS[O.URGENT_CARE], ended, record(ended), TODAY)
    assert shown is not None and REDACTED_LABEL in shown["meta"]["security"], "a narrowed view"
    assert is_withdrawn(shown)
    assert "No longer in the trust’s record since" in shown["text"]["div"]
    both = decide(VIEWERS[O.URGENT_CARE], hold_back(ended, TODAY), record(ended), TODAY)
    assert both is not None and is_withdrawn(both)


OVERRIDE_FOR_RISK = consent("c-risk", actors=(VCSE_ORG,), classes=("CarePlan",), codes=(CRISIS,), basis="risk-override")


@pytest.mark.parametrize(
    ("viewer", "resources", "target", "grounds"),
    [
        (O.GP, (), MAIN, ("direct-care registered",)),
        (O.NHS_TRUST, (), MAIN, ("direct-care",)),
        (O.URGENT_CARE, (), CRISIS_PLAN, ("direct-care named",)),
        (O.VCSE, (VCSE_CRISIS,), CRISIS_PLAN, ("explicit-consent Consent/c-vcse-crisis",)),
        (O.VCSE, (OVERRIDE_FOR_RISK,), CRISIS_PLAN, ("risk-override Consent/c-risk",)),
        (
            O.VCSE,
            (VCSE_CRISIS, OVERRIDE_FOR_RISK),
            CRISIS_PLAN,
            ("explicit-consent Consent/c-vcse-crisis, risk-override Consent/c-risk",),
        ),
        (O.LOCAL_AUTHORITY, (), s117_until(None), ("section-117-responsible",)),
        # the whole plan on the duty: a consent for the council's own actions was not needed
        (
            O.LOCAL_AUTHORITY,
            (consent("la", actors=(COUNCIL,), classes=("CarePlan",)),),
            s117_until(None),
            ("section-117-responsible",),
        ),
        # an override for risk that opened a VCSE partner's gate is named, not "permitted"
        (O.VCSE, (OVERRIDE_FOR_RISK,), patient(), ("risk-override Consent/c-risk",)),
        (O.VCSE, (), CRISIS_PLAN, ()),
        (O.ADMIN, (), {"resourceType": "AuditEvent", "id": "a"}, ("administrator",)),
        # a reasonable adjustment rests on what let the partner see the service user
        (O.VCSE, (VCSE_FLAGS,), ADJUSTMENT, ("explicit-consent Consent/c-vcse-flags",)),
        (
            O.LOCAL_AUTHORITY,
            (S117_ENTITLEMENT, consent("la", actors=(COUNCIL,), classes=("Flag",))),
            ADJUSTMENT,
            ("explicit-consent Consent/la",),
        ),
        (O.URGENT_CARE, (), ADJUSTMENT, ("direct-care named",)),
    ],
    ids=[
        "gp",
        "trust",
        "urgent-care",
        "consent",
        "override",
        "two-consents",
        "s117",
        "s117-not-the-consent",
        "gate-opened-by-an-override",
        "refused",
        "admin",
        "adjustment-vcse",
        "adjustment-s117",
        "adjustment-urgent-care",
    ],
)
def test_a_disclosure_names_its_grounds(
    viewer: O, resources: tuple[Json, ...], target: Json, grounds: tuple[str, ...]
) -> None:
    """Each disclosure says on what ground it was made, for its AuditEvent: which Consent
    (and whether it is an override for risk or a best-interests decision), which legal
    duty, or which direct-care relationship (EC-48 "audit each override", EC-49 "record
    which policy authorised each share")."""
    shared = target["resourceType"] == "AuditEvent"
    facts = None if shared else record(*resources, target)
    shown, found = decide_why(VIEWERS[viewer], target, facts, TODAY)
    assert found == grounds
    assert (shown is None) == (not grounds)


#: a crisis plan pointing to what it is made of, and the pointer that finds it (issue 10)
CRISIS_WITH_CONTENT = {
    **care_plan("crisis4", CRISIS, [activity(LEAD, "crisis-contact")]),
    "supportingInfo": [
        {"reference": ref}
        for ref in ("Observation/trigger", "Observation/advance", "RiskAssessment/risk", "MedicationStatement/depot")
    ],
}
POINTER_TO_CRISIS = {**POINTER, "context": {"related": [{"reference": "CarePlan/crisis4"}]}}
#: a refusal of the crisis plan, coded as the mapping codes one (SharedInformation.CRISIS_PLAN)
CRISIS_CODES = tuple(CRISIS["coding"])


@pytest.mark.parametrize(
    ("viewer", "refusal"),
    [
        (O.GP, consent("no", permit=False, actors=(GP_PRACTICE,), classes=("CarePlan",), codes=CRISIS_CODES)),
        (
            O.URGENT_CARE,
            consent("no", permit=False, partner_types=("police",), classes=("CarePlan",), codes=CRISIS_CODES),
        ),
        (O.NHS_TRUST, consent("no", permit=False, actors=(TRUST_TEAM,), classes=("CarePlan",), codes=CRISIS_CODES)),
    ],
    ids=["gp", "urgent-care", "trust"],
)
@pytest.mark.parametrize(
    "target",
    [TRIGGER, ADVANCE_STATEMENT, POINTER_TO_CRISIS, RISK, DEPOT],
    ids=lambda t: f"{t['resourceType']}/{t['id']}",
)
def test_a_refusal_of_the_crisis_plan_covers_what_it_points_to(viewer: O, refusal: Json, target: Json) -> None:
    """The triggers, early warning signs, advance statement, risk assessment and medication
    a crisis plan points to (supportingInfo) are the plan's content since issue 10 took them
    out of its activities, and the pointer is how it is found: a refusal of the crisis plan
    (class CarePlan, the crisis categories) hid the CarePlan alone, and the GP, urgent care
    (the police among them) and a trust read its content regardless (found tracing
    EC-47, 2026-12-07). What the refusal leaves is unchanged: the managing trust still reads
    the risk assessment and medication, and the GP the medication, as their own kinds of
    information."""
    facts = record(CRISIS_WITH_CONTENT, TRIGGER, ADVANCE_STATEMENT, POINTER_TO_CRISIS, RISK, DEPOT, refusal)
    assert decide(VIEWERS[viewer], CRISIS_WITH_CONTENT, facts, TODAY) is None
    shown = decide(VIEWERS[viewer], target, facts, TODAY)
    own_kind = {O.NHS_TRUST: ("RiskAssessment", "MedicationStatement"), O.GP: ("MedicationStatement",)}
    if target["resourceType"] in own_kind.get(viewer, ()):
        assert shown == target  # the managing trust's risk assessment; medication the GP must know about
    else:
        assert shown is None
    # without the refusal, each is shown as before
    unrefused = record(CRISIS_WITH_CONTENT, TRIGGER, ADVANCE_STATEMENT, POINTER_TO_CRISIS, RISK, DEPOT)
    assert decide(VIEWERS[viewer], target, unrefused, TODAY) == target


#: the main plan pointing to what it is made of: the need it addresses, what the service
#: user says about themselves; and a review of it (pointing to the plan, as the mapping writes one)
MAIN_WITH_CONTENT = {
    **MAIN,
    "addresses": [{"reference": "Condition/need"}],
    "supportingInfo": [{"reference": "Observation/strength"}],
}
REVIEW_OF_MAIN = {
    **REVIEW,
    "extension": [{"url": SD + "reviewed-plan", "valueReference": {"reference": "CarePlan/cp1"}}],
}
#: a refusal of the care plans, coded as the mapping codes one (SharedInformation.CARE_PLAN)
CARE_PLAN_CLASSES = ("CarePlan", "Goal", "CareTeam")


@pytest.mark.parametrize(("viewer", "actor"), [(O.GP, GP_PRACTICE), (O.NHS_TRUST, TRUST_TEAM)], ids=["gp", "trust"])
@pytest.mark.parametrize("target", [NEED, STRENGTH, REVIEW_OF_MAIN], ids=lambda t: f"{t['resourceType']}/{t['id']}")
def test_a_refusal_of_the_care_plan_covers_what_it_is_made_of(viewer: O, actor: str, target: Json) -> None:
    """A service user who refused a reader their care plan refused what it is made of: the
    needs it addresses, what they say about themselves in it, and its reviews. The refusal,
    coded as the mapping codes one (CarePlan, Goal, CareTeam), hid the CarePlan alone, and
    the GP or a trust read the rest (found tracing EC-47, 2026-12-07). A refusal of the
    crisis plans alone leaves the main plan's content shown."""
    refusal = consent("no", permit=False, actors=(actor,), classes=CARE_PLAN_CLASSES)
    facts = record(MAIN_WITH_CONTENT, NEED, STRENGTH, REVIEW_OF_MAIN, refusal)
    assert decide(VIEWERS[viewer], MAIN_WITH_CONTENT, facts, TODAY) is None
    assert decide(VIEWERS[viewer], target, facts, TODAY) is None
    unrefused = record(MAIN_WITH_CONTENT, NEED, STRENGTH, REVIEW_OF_MAIN)
    assert decide(VIEWERS[viewer], target, unrefused, TODAY) == target
    crisis_only = consent("no", permit=False, actors=(actor,), classes=("CarePlan",), codes=CRISIS_CODES)
    crisis_refused = record(MAIN_WITH_CONTENT, NEED, STRENGTH, REVIEW_OF_MAIN, crisis_only)
    assert decide(VIEWERS[viewer], target, crisis_refused, TODAY) == target
