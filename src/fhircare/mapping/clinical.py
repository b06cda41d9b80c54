"""The risk assessment (fhircare-risk-assessment) and medication partners must know about
(fhircare-medication-statement), which care and crisis plans point to (supportingInfo).

A risk assessment has one prediction per kind of risk with the assessor's reasoning, and
a likelihood only where one was recorded: never a single "high risk" label (DD-11,
[002 ¶21]). Medication is what the trust's record says about a depot injection (and when
the next dose is due), clozapine or lithium: not a complete medication list, which the
GP record holds.
"""

from __future__ import annotations

from fhircare.mapping.fhir import (
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    concept,
    extension,
    period,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import EXTENSIONS, GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.clinical import Medication, RiskAssessment
from fhircare.source.codes import MedicationStatus
from fhircare.source.local_codes import PerformerKind

_LIKELIHOOD_WORDS = {"negligible": "negligible", "low": "low", "moderate": "moderate", "high": "high"}


def latest_risk_assessment(record: ServiceUserRecord) -> RiskAssessment | None:
    """The most recent risk assessment: the one a plan points to (DE-063)."""
    found = sorted(record.risk_assessments, key=lambda a: (a.assessed_on, a.risk_assessment_id))
    return found[-1] if found else None


def risk_assessment(assessment: RiskAssessment, record: ServiceUserRecord, refs: Refs) -> Json:
    key = refs.risk_assessment(assessment.risk_assessment_id)
    factors = sorted(
        (f for f in record.risk_factors if f.risk_assessment_id == assessment.risk_assessment_id),
        key=lambda f: f.risk_factor_id,
    )
    assessor = assessment.assessor_staff_id
    by = f" by {who(PerformerKind.STAFF, assessor, refs)}" if assessor else ""
    items = [
        f"{label(f.domain).capitalize()}"
        + (f" ({_LIKELIHOOD_WORDS[f.likelihood.value]} likelihood)" if f.likelihood else "")
        + f": {f.rationale}"
        for f in factors
    ]
    return prune(
        {
            "resourceType": "RiskAssessment",
            "id": key.id,
            "meta": about_service_user("fhircare-risk-assessment"),
            "text": narrative(
                sentence(f"Risk assessment on {long_date(assessment.assessed_on)}{by}"),
                assessment.summary,
                sentence(f"How the risks are managed: {assessment.mitigation}") if assessment.mitigation else None,
                items=items,
                status=GENERATED,
            ),
            "identifier": [key.identifier],
            "status": "final",
            "method": {"text": assessment.method} if assessment.method else None,
            "subject": refs.patient.reference(),
            "occurrenceDateTime": assessment.assessed_on.isoformat(),
            "performer": refs.practitioner_role(assessor).reference() if assessor else None,
            "prediction": [
                prune(
                    {
                        "outcome": concept(code(f.domain)),
                        "qualitativeRisk": concept(code(f.likelihood)) if f.likelihood else None,
                        "rationale": f.rationale,
                    }
                )
                for f in factors
            ],
            "mitigation": assessment.mitigation,
            "note": [{"text": assessment.summary}],
        }
    )


def partner_medications(record: ServiceUserRecord) -> list[Medication]:
    """What a plan points to: medication being taken that a partner must know about."""
    chosen = [m for m in record.medications if m.alert is not None and m.status is MedicationStatus.ACTIVE]
    return sorted(chosen, key=lambda m: m.medication_id)


def medication_statement(medication: Medication, refs: Refs) -> Json:
    key = refs.medication(medication.medication_id)
    dosage = ", ".join(p for p in (medication.dose, medication.route, medication.frequency) if p)
    extensions = []
    if medication.alert is not None:
        extensions.append(
            extension(STRUCTURE_DEFINITION + "medication-alert", valueCodeableConcept=concept(code(medication.alert)))
        )
    if medication.next_due_date is not None:
        extensions.append(
            extension(STRUCTURE_DEFINITION + "next-dose-due", valueDate=medication.next_due_date.isoformat())
        )
    source = refs.practitioner_role(medication.prescriber_staff_id) if medication.prescriber_staff_id else refs.trust
    since = f" since {long_date(medication.start_date)}" if medication.start_date else ""
    ended = f", stopped on {long_date(medication.end_date)}" if medication.end_date else ""
    alert = f" ({label(medication.alert)})" if medication.alert else ""
    due = f" Next dose due {long_date(medication.next_due_date)}." if medication.next_due_date else ""
    state = "" if medication.status is MedicationStatus.ACTIVE else f" [{medication.status.value.replace('-', ' ')}]"
    return prune(
        {
            "resourceType": "MedicationStatement",
            "id": key.id,
            "meta": about_service_user("fhircare-medication-statement"),
            "text": narrative(
                sentence(f"{medication.name}{alert}{': ' + dosage if dosage else ''}{since}{ended}{state}") + due,
                medication.monitoring,
                status=EXTENSIONS if extensions else GENERATED,
            ),
            "extension": extensions,
            "identifier": [key.identifier],
            "status": medication.status.value,
            "medicationCodeableConcept": prune(
                {
                    "coding": [
                        {"system": "https://dmd.nhs.uk", "code": medication.dmd_code, "display": medication.name}
                    ]
                    if medication.dmd_code
                    else None,
                    "text": medication.name,
                }
            ),
            "subject": refs.patient.reference(),
            "effectivePeriod": period(medication.start_date, medication.end_date),
            "informationSource": source.reference(),
            "dosage": [{"text": dosage}] if dosage else None,
            "note": [{"text": medication.monitoring}] if medication.monitoring else None,
        }
    )
