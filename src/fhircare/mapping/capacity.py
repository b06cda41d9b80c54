"""Mental capacity assessments (fhircare-capacity-assessment): one Observation per
assessment, always for a named decision (DD-08, EC-40: "never a global 'lacks capacity'
flag"), so a best-interests sharing decision can point at the assessment behind it
([004 §5.7] "If the service user's capacity to consent is in doubt, clinical staff must
ensure that a mental capacity assessment is completed and recorded.")."""

from __future__ import annotations

from fhircare.mapping.fhir import CODE_SYSTEM, Json, about_service_user, coding, concept, prune
from fhircare.mapping.narrative import GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.local_codes import CapacityDecision, CapacityOutcome, PerformerKind
from fhircare.source.service_user import CapacityAssessment

MENTAL_CAPACITY = CODE_SYSTEM + "mental-capacity"

#: the decision in words, after "capacity to decide about"
_DECISION_WORDS = {
    CapacityDecision.INFORMATION_SHARING: "sharing information about them",
    CapacityDecision.CARE_PLANNING: "their care plan",
    CapacityDecision.TREATMENT: "their treatment",
    CapacityDecision.ACCOMMODATION: "where they live",
    CapacityDecision.FINANCES: "their money",
}


def decision_words(decision: CapacityDecision) -> str:
    return _DECISION_WORDS[decision]


def capacity_assessment(assessment: CapacityAssessment, refs: Refs) -> Json:
    key = refs.capacity_assessment(assessment.capacity_assessment_id)
    su = refs.record.service_user.given_name
    has = "has" if assessment.outcome is CapacityOutcome.HAS_CAPACITY else "lacks"
    assessor = assessment.assessor_staff_id
    by = f" by {who(PerformerKind.STAFF, assessor, refs)}" if assessor else ""
    return prune(
        {
            "resourceType": "Observation",
            "id": key.id,
            "meta": about_service_user("fhircare-capacity-assessment"),
            "text": narrative(
                sentence(
                    f"Mental capacity assessment on {long_date(assessment.assessed_on)}{by}: {su} {has} capacity"
                    f" to decide about {decision_words(assessment.decision)}"
                ),
                "This assessment is about that one decision only.",
                assessment.note,
                status=GENERATED,
            ),
            "identifier": [key.identifier],
            "status": "final",
            "code": concept(coding(MENTAL_CAPACITY, "assessment"), text="Mental capacity assessment"),
            "subject": refs.patient.reference(),
            "effectiveDateTime": assessment.assessed_on.isoformat(),
            "performer": [refs.practitioner_role(assessor).reference()] if assessor else None,
            "valueCodeableConcept": concept(coding(MENTAL_CAPACITY, assessment.outcome.value)),
            "component": [
                {
                    "code": concept(coding(MENTAL_CAPACITY, "decision")),
                    "valueCodeableConcept": concept(coding(MENTAL_CAPACITY, assessment.decision.value)),
                }
            ],
            "note": [{"text": assessment.note}] if assessment.note else None,
        }
    )
