"""Needs the plan addresses (fhircare-need) and what the service user says about
themselves (fhircare-about-me).

A need is a Condition the plan ``addresses``: the need in words, its life area, and
whether the plan meets it, with the reason when it does not ([001 ¶83] "Any unmet needs
should be clearly identified and recorded on the care and treatment plans."; DD-02). A
met need is still active: it is met because the support is in place. Strengths and what
matters most are Observations the plan points to, in the person's words (DE-019, PRSB
About Me).
"""

from __future__ import annotations

from fhircare.mapping.fhir import (
    SNOMED_CT,
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    complex_extension,
    concept,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import EXTENSIONS, GENERATED, narrative, sentence
from fhircare.mapping.refs import Refs
from fhircare.source.care_plan import CarePlan, CarePlanNeed, PlanStatement
from fhircare.source.local_codes import NeedStatus, PerformerKind, PlanStatementKind

_CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_PERSONAL_STATEMENT = "https://fhir.fhircare.nhs.uk/CodeSystem/personal-statement"
#: PRSB About Me "What is most important to me"
_WHAT_MATTERS = "1515861000000103"


def need_words(need: CarePlanNeed) -> str:
    status = {NeedStatus.MET: "met", NeedStatus.PARTLY_MET: "partly met", NeedStatus.UNMET: "not met"}[need.status]
    reason = f" ({need.unmet_reason})" if need.unmet_reason else ""
    area = f" ({label(need.life_area)})" if need.life_area else ""
    return f"Need{area}: {need.description} — {status}{reason}"


def need_condition(need: CarePlanNeed, plan: CarePlan, refs: Refs) -> Json:
    key = refs.need(need.need_id)
    categories = [concept(coding(_CONDITION_CATEGORY, "problem-list-item"))]
    if need.life_area is not None:
        categories.append(concept(code(need.life_area)))
    asserter = refs.practitioner_role(plan.author_staff_id) if plan.author_staff_id else None
    return prune(
        {
            "resourceType": "Condition",
            "id": key.id,
            "meta": about_service_user("fhircare-need"),
            "text": narrative(sentence(need_words(need)), status=EXTENSIONS),
            "extension": [
                complex_extension(
                    STRUCTURE_DEFINITION + "need-status",
                    (
                        ("status", "valueCodeableConcept", concept(code(need.status))),
                        ("unmetReason", "valueString", need.unmet_reason),
                    ),
                )
            ],
            "identifier": [key.identifier],
            "clinicalStatus": concept(coding(_CONDITION_CLINICAL, "active")),
            "category": categories,
            "code": {"text": need.description},
            "subject": refs.patient.reference(),
            "recordedDate": plan.created_on.isoformat(),
            "asserter": asserter.reference() if asserter else None,
        }
    )


def about_me(statement: PlanStatement, plan: CarePlan, refs: Refs) -> Json:
    key = refs.statement(statement.statement_id)
    if statement.kind is PlanStatementKind.WHAT_MATTERS:
        what, heading = coding(SNOMED_CT, _WHAT_MATTERS), "What matters most"
    else:
        what, heading = coding(_PERSONAL_STATEMENT, "strength"), "A strength"
    su = refs.record.service_user.given_name
    own = statement.expressed_by is PerformerKind.SERVICE_USER
    whose = f"in {su}'s words" if own else "as told to the team"
    told_by_carer = refs.told_by_withholding_carer(statement.expressed_by, statement.expressed_by_id)
    return {
        "resourceType": "Observation",
        "id": key.id,
        "meta": about_service_user("fhircare-about-me", withheld=told_by_carer),
        "text": narrative(sentence(f"{heading}, {whose}: {statement.description}"), status=GENERATED),
        "identifier": [key.identifier],
        "status": "final",
        "code": concept(what),
        "subject": refs.patient.reference(),
        "effectiveDateTime": (plan.agreed_on or plan.created_on).isoformat(),
        "performer": [refs.performer(statement.expressed_by, statement.expressed_by_id).reference()],
        "valueString": statement.description,
    }
