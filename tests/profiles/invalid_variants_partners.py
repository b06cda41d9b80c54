"""Invalid variants of issue 10's examples (what partners need to act on the plan): each
breaks one rule of one profile. ``test_invalid_variants.py`` runs them with the rest, as
(example, what it breaks, mutation, expected error expression, text fragment)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Resource = dict[str, Any]
Mutation = Callable[[Resource], None]


def drop(*path: str | int) -> Mutation:
    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return mutate


def put(value: Any, *path: str | int) -> Mutation:
    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = copy.deepcopy(value)

    return mutate


def keep(predicate: Callable[[Any], bool], *path: str | int) -> Mutation:
    def mutate(r: Resource) -> None:
        node: Any = r
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = [item for item in node[path[-1]] if predicate(item)]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(r: Resource) -> None:
        for m in mutations:
            m(r)

    return mutate


def _not_url(end: str) -> Callable[[Any], bool]:
    return lambda e: not str(e.get("url", "")).endswith(end)


def _contact_when(code: str) -> Callable[[Any], bool]:
    return lambda a: (
        not any(c.get("code") == code for e in a.get("extension", []) for c in e["valueCodeableConcept"]["coding"])
    )


OFFICE_HOURS = {
    "url": "https://fhir.fhircare.nhs.uk/StructureDefinition/contact-when",
    "valueCodeableConcept": {
        "coding": [{"system": "https://fhir.fhircare.nhs.uk/CodeSystem/contact-when", "code": "office-hours"}]
    },
}

#: (example, breaks, mutation, expression, text)
PARTNER_VARIANTS: list[tuple[str, str, Mutation, str, str]] = [
    # CarePlan (crisis plan, Welsh plan)
    (
        "CarePlan-example-crisis-plan",
        "an active crisis plan whose only out-of-hours contacts were dropped: no 24-hour contact",
        keep(_contact_when("out-of-hours"), "activity"),
        "CarePlan",
        "fhircare-care-plan-6",
    ),
    (
        "CarePlan-example-crisis-plan",
        "a crisis plan whose services are all to be used in office hours only",
        both(put([OFFICE_HOURS], "activity", 1, "extension"), put([OFFICE_HOURS], "activity", 2, "extension")),
        "CarePlan",
        "fhircare-care-plan-6",
    ),
    (
        "CarePlan-example-crisis-plan",
        "a crisis plan that points to nothing to look out for",
        drop("supportingInfo"),
        "CarePlan",
        "fhircare-care-plan-3",
    ),
    (
        "CarePlan-example-welsh-ctp",
        "a Welsh Care and Treatment Plan with an area missing",
        keep(lambda e: not (e["url"].endswith("ctp-area") and "education" in str(e)), "extension"),
        "CarePlan",
        "fhircare-care-plan-7",
    ),
    (
        "CarePlan-example-welsh-ctp",
        "a Welsh Care and Treatment Plan that does not name the care coordinator",
        keep(_not_url("named-lead"), "extension"),
        "CarePlan",
        "fhircare-care-plan-7",
    ),
    # HealthcareService
    (
        "HealthcareService-example-crisis-line",
        "a crisis contact that says nothing about when it answers",
        drop("availableTime"),
        "HealthcareService",
        "HealthcareService.availableTime: minimum required = 1, but only found 0",
    ),
    (
        "HealthcareService-example-crisis-cafe",
        "opening hours with a start and no end",
        drop("availableTime", 0, "availableEndTime"),
        "HealthcareService",
        "fhircare-healthcare-service-1",
    ),
    (
        "HealthcareService-example-crisis-line",
        "a crisis contact with no telephone number",
        put([{"system": "url", "value": "https://example.org/crisis"}], "telecom"),
        "HealthcareService",
        "fhircare-healthcare-service-2",
    ),
    # what to look out for
    (
        "Observation-example-trigger",
        "a trigger with no words",
        drop("valueString"),
        "Observation",
        "Observation.value[x]: minimum required = 1, but only found 0",
    ),
    (
        "Observation-example-early-warning-sign",
        "an action code where a sign belongs",
        put("crisis-contact", "code", "coding", 0, "code"),
        "Observation.code",
        "None of the codings provided are in the value set 'What to look out for, and what helps'",
    ),
    # advance statement
    (
        "Observation-example-advance-statement",
        "another code than the advance statement's",
        put("225337009", "code", "coding", 0, "code"),  # suicide risk assessment
        "Observation.code",
        "The value does not match the pattern required by the profile",
    ),
    (
        "Observation-example-advance-statement",
        "no date it was made",
        drop("effectiveDateTime"),
        "Observation",
        "Observation.effective[x]: minimum required = 1, but only found 0",
    ),
    # about me
    (
        "Observation-example-about-me-strength",
        "a strength with no words",
        drop("valueString"),
        "Observation",
        "Observation.value[x]: minimum required = 1, but only found 0",
    ),
    (
        "Observation-example-about-me-what-matters",
        "a heading that is not an About Me heading",
        put("1515871000000105", "code", "coding", 0, "code"),
        "Observation.code",
        "None of the codings provided are in the value set 'About me'",
    ),
    # need
    (
        "Condition-example-need-unmet",
        "an unmet need that does not say why",
        keep(lambda e: e["url"] != "unmetReason", "extension", 0, "extension"),
        "Condition",
        "fhircare-need-1",
    ),
    (
        "Condition-example-need-housing",
        "a need with no status",
        drop("extension"),
        "Condition",
        "Slice 'Condition.extension:needStatus': a matching slice is required, but not found",
    ),
    # crisis plan pointer
    (
        "DocumentReference-example-crisis-plan-pointer",
        "a pointer of another record type than a crisis or contingency plan",
        put("736366004", "type", "coding", 0, "code"),
        "DocumentReference.type",
        "None of the codings provided are in the value set 'Crisis plan record type'",
    ),
    (
        "DocumentReference-example-crisis-plan-pointer",
        "a pointer whose subject identifier is not an NHS number",
        put("https://example.org/local-id", "subject", "identifier", "system"),
        "DocumentReference",
        "fhircare-crisis-plan-pointer-1",
    ),
    (
        "DocumentReference-example-crisis-plan-pointer",
        "a pointer that says nowhere to fetch the plan",
        drop("content", 0, "attachment", "url"),
        "DocumentReference.content[0].attachment",
        "DocumentReference.content.attachment.url: minimum required = 1, but only found 0",
    ),
    # review
    (
        "Encounter-example-review",
        "a review that does not say whether the service user took part",
        keep(_not_url("/attended"), "extension"),
        "Encounter",
        "Slice 'Encounter.extension:serviceUserAttended': a matching slice is required, but not found",
    ),
    (
        "Encounter-example-review",
        "a review of no plan",
        keep(_not_url("reviewed-plan"), "extension"),
        "Encounter",
        "Slice 'Encounter.extension:reviewedPlan': a matching slice is required, but not found",
    ),
    (
        "Encounter-example-review",
        "an invited participant not said to have attended or not",
        drop("participant", 2, "extension"),
        "Encounter.participant[2]",
        "Slice 'Encounter.participant.extension:attended': a matching slice is required, but not found",
    ),
    # risk assessment
    (
        "RiskAssessment-example-risk-assessment",
        "a single overall risk label instead of the kinds of risk",
        put(
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/risk-probability", "code": "high"}]},
            "prediction",
            0,
            "outcome",
        ),
        "RiskAssessment.prediction[0].outcome",
        "None of the codings provided are in the value set 'Kind of risk'",
    ),
    (
        "RiskAssessment-example-risk-assessment",
        "a prediction with no reasoning",
        drop("prediction", 1, "rationale"),
        "RiskAssessment.prediction[1]",
        "RiskAssessment.prediction.rationale: minimum required = 1, but only found 0",
    ),
    # medication
    (
        "MedicationStatement-example-medication-depot",
        "a next dose due of a medicine no longer taken",
        put("stopped", "status"),
        "MedicationStatement",
        "fhircare-medication-statement-1",
    ),
    (
        "MedicationStatement-example-medication-depot",
        "a medicine without its name",
        drop("medicationCodeableConcept", "text"),
        "MedicationStatement.medication.ofType(CodeableConcept)",
        "MedicationStatement.medication[x].text: minimum required = 1, but only found 0",
    ),
    # DIALOG item
    (
        "Observation-example-dialog-item-job",
        "a rating of 8 (MHSDS allows 0-8; DIALOG is 1-7)",
        put(8, "valueInteger"),
        "Observation.value.ofType(integer)",
        "greater than the specified maximum value (7)",
    ),
    (
        "Observation-example-dialog-item-not-rated",
        "an item both rated and said not to be",
        put(4, "valueInteger"),
        "Observation",
        "fhircare-dialog-item-1",
    ),
    (
        "Observation-example-dialog-item-job",
        "an item score with another code than DIALOG's",
        put("35489007", "code", "coding", 0, "code"),  # depressive disorder: no DIALOG item
        "Observation.code",
        "None of the codings provided are in the value set 'DIALOG item score'",
    ),
    # DIALOG offer
    (
        "Task-example-dialog-offer-declined",
        "a declined offer recorded as a completed DIALOG",
        put("completed", "status"),
        "Task",
        "fhircare-dialog-offer-1",
    ),
    (
        "Task-example-dialog-offer-declined",
        "an offer not rated that does not say why",
        drop("statusReason"),
        "Task",
        "Task.statusReason: minimum required = 1, but only found 0",
    ),
    # Flag (Section 117)
    (
        "Flag-example-flag-section-117",
        "a Section 117 flag without the entitlement",
        drop("extension"),
        "Flag",
        "fhircare-flag-2",
    ),
]
