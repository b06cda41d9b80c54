"""Synthetic risk assessments, medication partners must know about, and Mental Health Act
statuses that apply in the community (a community treatment order after a section 3
discharge; guardianship; conditional discharge after a restricted hospital order)."""

from __future__ import annotations

from datetime import date, timedelta

from fhircare.source.care_team import CareTeamMember
from fhircare.source.clinical import Medication, RiskAssessment, RiskFactor
from fhircare.source.codes import Discipline, MedicationAlert, MedicationStatus, MhaSection, RiskDomain, RiskLikelihood
from fhircare.source.local_codes import LegalStatusKind
from fhircare.source.movement import InpatientStay, Section117Entitlement
from fhircare.source.service_user import LegalStatus
from fhircare.synth.draft import Draft
from fhircare.synth.scenarios import EdgeCase

_RATIONALES = {
    RiskDomain.HARM_TO_SELF: "Cut their arms twice last year when very low; none since the spring.",
    RiskDomain.SUICIDE: "Thoughts of not wanting to be here when stressed; no plan, and talks to their sister.",
    RiskDomain.HARM_TO_OTHERS: "No history of violence; became verbally aggressive once when unwell.",
    RiskDomain.HARM_FROM_OTHERS: "A former partner has been threatening; police are aware.",
    RiskDomain.SELF_NEGLECT: "Stops eating and cleaning the flat when mood drops.",
    RiskDomain.SUBSTANCE_USE: "Drinks more when anxious; cannabis at weekends.",
    RiskDomain.SOCIAL_VULNERABILITY: "Has been asked for money by people calling at the flat.",
}
_DEPOTS = (
    ("Aripiprazole 400 mg long-acting injection", "Every 4 weeks"),
    ("Paliperidone palmitate 100 mg long-acting injection", "Every 4 weeks"),
    ("Zuclopenthixol decanoate 200 mg injection", "Every 2 weeks"),
)


def add_clinical(draft: Draft) -> None:
    """A risk assessment for most (always for someone assessed and waiting), medication."""
    if draft.scenario == EdgeCase.NO_LEAD_YET or draft.chance(0.85):
        _risk_assessment(draft)
    if draft.scenario == EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE or draft.chance(0.15):
        _depot(draft)
    conditional = draft.scenario == EdgeCase.COMMUNITY_LEGAL_STATUS and draft.index % 2 == 1
    if conditional or draft.chance(0.03):
        _medication(
            draft,
            "Clozapine 300 mg tablets",
            MedicationAlert.CLOZAPINE,
            dose="300 mg at night",
            frequency="Once a day",
            monitoring="Full blood count every 4 weeks through the clozapine monitoring service; "
            "check for constipation and high temperature.",
        )
    if draft.chance(0.04):
        _medication(
            draft,
            "Lithium carbonate 400 mg modified-release tablets",
            MedicationAlert.LITHIUM,
            dose="800 mg at night",
            frequency="Once a day",
            monitoring="Lithium level, kidney and thyroid tests every 3 months.",
        )
    if draft.chance(0.05):
        start = draft.day(draft.rng.randint(200, 500))
        _medication(
            draft,
            "Olanzapine 10 mg tablets",
            None,
            status=MedicationStatus.STOPPED,
            dose="10 mg at night",
            end_date=start + timedelta(days=draft.rng.randint(30, 150)),
            start_date=start,
        )


def _risk_assessment(draft: Draft) -> None:
    rng, episode = draft.rng, draft.episode
    assert episode is not None
    assessor = draft.lead or draft.directory.manager(episode.team_id)
    assessed = draft.between(episode.start_date, draft.day(3)) if draft.lead else episode.start_date
    assessment = RiskAssessment(
        risk_assessment_id=draft.new_id("RA"),
        service_user_id=draft.su_id,
        assessed_on=assessed,
        assessor_staff_id=assessor.staff_id,
        method=rng.choice(("Clinical risk assessment and formulation", "Structured professional judgement", None)),
        summary="Risks discussed with them and, with their agreement, their family; plan agreed together.",
        mitigation="Crisis plan shared with the GP; weekly contact while mood is low;"
        " the safety plan is gone through at each visit.",
    )
    draft.add(assessment)
    for domain in sorted(rng.sample(list(RiskDomain), rng.randint(2, 4))):
        likelihood = rng.choice(list(RiskLikelihood)) if draft.chance(0.4) else None
        draft.add(
            RiskFactor(
                risk_factor_id=draft.new_id("RF"),
                risk_assessment_id=assessment.risk_assessment_id,
                domain=domain,
                rationale=_RATIONALES[domain],
                likelihood=likelihood,
            )
        )


def _depot(draft: Draft) -> None:
    name, frequency = draft.rng.choice(_DEPOTS)
    _medication(
        draft,
        name,
        MedicationAlert.DEPOT_INJECTION,
        route="Intramuscular injection",
        frequency=frequency,
        next_due_date=draft.day(-draft.rng.randint(1, 13)),
        monitoring="Given at the depot clinic; if a dose is missed, tell the care team the same day.",
    )


def _medication(draft: Draft, name: str, alert: MedicationAlert | None, **fields: object) -> None:
    assert draft.episode is not None
    values: dict[str, object] = {
        "medication_id": draft.new_id("MD"),
        "service_user_id": draft.su_id,
        "name": name,
        "alert": alert,
        "status": MedicationStatus.ACTIVE,
        "start_date": draft.between(draft.episode.start_date - timedelta(days=200), draft.day(10)),
        "prescriber_staff_id": _psychiatrist(draft),
    }
    values.update(fields)
    draft.add(Medication.model_validate(values))


def _psychiatrist(draft: Draft) -> str | None:
    found = [
        m.member_id
        for m in draft.records
        if isinstance(m, CareTeamMember) and m.discipline is Discipline.PSYCHIATRIST and m.member_id
    ]
    return found[0] if found else None


def add_community_legal_status(draft: Draft) -> None:
    """A community treatment order on discharge from section 3; or guardianship; or a
    conditional discharge after a restricted hospital order, with Section 117 after-care."""
    stays = [s for s in draft.records if isinstance(s, InpatientStay) and s.discharged_at is not None]
    if draft.scenario == EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE and stays:
        _status(draft, LegalStatusKind.CTO, stays[-1].discharged_at.date() if stays[-1].discharged_at else None)
        return
    if draft.scenario != EdgeCase.COMMUNITY_LEGAL_STATUS:
        return
    assert draft.episode is not None
    if draft.index % 2 == 0:
        _status(draft, LegalStatusKind.GUARDIANSHIP, draft.between(draft.episode.start_date, draft.day(30)))
        return
    discharged = draft.between(draft.episode.start_date - timedelta(days=400), draft.episode.start_date)
    detained = discharged - timedelta(days=draft.rng.randint(300, 900))
    draft.add(
        LegalStatus(
            legal_status_id=draft.new_id("LS"),
            service_user_id=draft.su_id,
            status=LegalStatusKind.S37_41,
            start_date=detained,
            end_date=discharged - timedelta(days=1),
        )
    )
    _status(draft, LegalStatusKind.CONDITIONAL_DISCHARGE, discharged)
    draft.add(
        Section117Entitlement(
            section_117_id=draft.new_id("S117-"),
            service_user_id=draft.su_id,
            detention_section=MhaSection.S37,
            start_date=discharged,
            health_body_organisation_id="ORG-LHB" if draft.welsh else "ORG-ICB",
            local_authority_organisation_id="ORG-LA2" if draft.welsh else "ORG-LA1",
        )
    )


def _status(draft: Draft, kind: LegalStatusKind, start: date | None) -> None:
    draft.add(
        LegalStatus.model_validate(
            {
                "legal_status_id": draft.new_id("LS"),
                "service_user_id": draft.su_id,
                "status": kind,
                "start_date": start,
            }
        )
    )
