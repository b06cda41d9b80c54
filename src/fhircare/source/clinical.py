"""What a partner must know to act safely that the care plan only refers to: the latest
risk assessment (DE-018, DE-063) and current medication a partner must know about
(DE-070: a depot injection, clozapine, lithium)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import StringConstraints, model_validator

from fhircare.source.codes import MedicationAlert, MedicationStatus, RiskDomain, RiskLikelihood
from fhircare.source.common import Label, LocalId, SourceRecord, Text, field_error

#: an NHS dictionary of medicines and devices (dm+d) concept id
DmdCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,18}$")]


class RiskAssessment(SourceRecord):
    """A risk assessment, however the trust does it (R-59: no tool is mandated), with its
    summary and how the risks are managed (the risk management plan, DE-063). Each risk
    it considers is a :class:`RiskFactor` (DD-11: one per kind of risk, never a single
    "high risk" label; [002 ¶21] risk "should not be based on the use of tools and
    checklists")."""

    risk_assessment_id: LocalId
    service_user_id: LocalId
    assessed_on: date
    assessor_staff_id: LocalId | None = None
    #: the approach or tool used, in words
    method: Label | None = None
    summary: Text
    #: what is done to reduce the risks (RiskAssessment.mitigation)
    mitigation: Text | None = None


class RiskFactor(SourceRecord):
    """One kind of risk an assessment considered, with the assessor's reasoning and, only
    where they recorded one, a likelihood."""

    risk_factor_id: LocalId
    risk_assessment_id: LocalId
    domain: RiskDomain
    rationale: Text
    likelihood: RiskLikelihood | None = None


class Medication(SourceRecord):
    """Medication a partner must know about (DE-070): what, how much and how often, since
    when, and for a depot when the next dose is due ([004 §3.12] "any additional such as
    depot administration is handed over"); ``alert`` says why it matters (a missed depot,
    clozapine's blood monitoring and toxicity, lithium's narrow range)."""

    medication_id: LocalId
    service_user_id: LocalId
    name: Label
    dmd_code: DmdCode | None = None
    alert: MedicationAlert | None = None
    status: MedicationStatus
    dose: Label | None = None
    route: Label | None = None
    frequency: Label | None = None
    start_date: date | None = None
    end_date: date | None = None
    next_due_date: date | None = None
    prescriber_staff_id: LocalId | None = None
    #: monitoring a partner must keep to (blood tests, levels), in words
    monitoring: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise field_error("end_date", "is before start_date")
        ended = self.status in (MedicationStatus.COMPLETED, MedicationStatus.STOPPED)
        if self.end_date is not None and not ended:
            raise field_error("end_date", f"is set but the medication is {self.status.value}")
        if self.next_due_date is not None and self.status is not MedicationStatus.ACTIVE:
            raise field_error("next_due_date", "applies only to medication being taken")
        return self
