"""Synthetic carers and significant others, carer's assessments, what carers tell
the team, and the service user's sharing decisions (EC-42, EC-43, EC-45)."""

from __future__ import annotations

from datetime import date, timedelta

import fhircare.synth.names as names
from fhircare.source.care_plan import CarePlan
from fhircare.source.care_team import CareTeamMember
from fhircare.source.carers import CarerInformation, CarersAssessment, ConsentDecision, Contact
from fhircare.source.codes import (
    CarersAssessmentStatus,
    ContactRole,
    PartnerOrganisationType,
    Relationship,
)
from fhircare.source.local_codes import (
    CapacityDecision,
    CapacityOutcome,
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    LegalBasis,
    MemberKind,
    SharedInformation,
)
from fhircare.source.service_user import CapacityAssessment
from fhircare.synth.draft import Draft
from fhircare.synth.scenarios import EdgeCase

_CARER_RELATIONSHIPS = (
    Relationship.MOTHER,
    Relationship.FATHER,
    Relationship.SPOUSE,
    Relationship.SISTER,
    Relationship.BROTHER,
    Relationship.DOMESTIC_PARTNER,
    Relationship.FRIEND,
)
_NOT_INVOLVED_RELATIONSHIPS = (Relationship.FATHER, Relationship.BROTHER)
_CARER_INFORMATION = (
    "Phoned the duty worker: has not been sleeping and stopped answering the phone this week.",
    "Worried about money: bills are piling up unopened.",
    "Says things have been better since the new medication; going out more.",
)


def _contact(draft: Draft, relationship: Relationship, roles: tuple[ContactRole, ...], **fields: object) -> Contact:
    rng = draft.rng
    anonymous = fields.pop("anonymous", False)
    contact = Contact.model_validate(
        {
            "contact_id": draft.new_id("RP"),
            "service_user_id": draft.su_id,
            "family_name": None if anonymous else names.family_name(rng, draft.welsh),
            "given_name": None if anonymous else names.given_name(rng, "any", draft.welsh),
            "relationship": relationship,
            "roles": roles,
            "phone": None if anonymous else names.mobile(rng),
            **fields,
        }
    )
    draft.add(contact)
    if ContactRole.CARER in roles:
        draft.carers.append(contact)
    return contact


def add_consent(
    draft: Draft,
    kind: ConsentKind,
    decision: ConsentDecisionType,
    decided_by: ConsentDecider,
    when: date,
    **fields: object,
) -> ConsentDecision:
    consent = ConsentDecision.model_validate(
        {
            "consent_id": draft.new_id("CN"),
            "service_user_id": draft.su_id,
            "kind": kind,
            "decision": decision,
            "decided_by": decided_by,
            "decided_at": draft.at(when),
            **fields,
        }
    )
    draft.add(consent)
    return consent


def add_contacts(draft: Draft) -> None:
    rng, scenario = draft.rng, draft.scenario
    assert draft.episode is not None
    start = draft.episode.start_date
    if scenario == EdgeCase.YOUNG_CARER:  # EC-42: a child who helps look after their parent
        age = rng.randint(11, 16)
        _contact(
            draft,
            rng.choice((Relationship.SON, Relationship.DAUGHTER)),
            (ContactRole.CARER,),
            birth_date=draft.day(age * 365 + rng.randint(0, 300)),
            young_carer=True,
        )
    if scenario == EdgeCase.CARER_REFUSING_CONSENT:  # EC-45: a carer known only by role
        carer = _contact(draft, Relationship.FRIEND, (ContactRole.CARER,), anonymous=True)
        add_consent(
            draft,
            ConsentKind.COLLECTION,
            ConsentDecisionType.DENY,
            ConsentDecider.CONTACT,
            draft.between(start, draft.day(2)),
            decided_by_contact_id=carer.contact_id,
        )
    if scenario in (EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT, EdgeCase.NEAREST_RELATIVE_NOT_INVOLVED):
        # EC-43, EC-44: recorded with a telephone number, which must never leave the trust
        when = draft.between(start, draft.day(2))
        nearest = scenario == EdgeCase.NEAREST_RELATIVE_NOT_INVOLVED
        person = _contact(
            draft,
            rng.choice(
                (Relationship.MOTHER, Relationship.FATHER) if nearest else (Relationship.FATHER, Relationship.BROTHER)
            ),
            (ContactRole.NEAREST_RELATIVE, ContactRole.NEXT_OF_KIN) if nearest else (),
            do_not_involve=True,
            do_not_involve_recorded_at=draft.at(when),
        )
        add_consent(
            draft,
            ConsentKind.DISCLOSURE,
            ConsentDecisionType.DENY,
            ConsentDecider.SERVICE_USER,
            when,
            recipient_contact_id=person.contact_id,
            rationale="Has capacity for this decision and explained why; no overriding risk identified.",
        )
    if scenario == EdgeCase.BEST_INTERESTS_SHARING or (scenario != EdgeCase.NO_LEAD_YET and draft.chance(0.7)):
        roles = (ContactRole.CARER, ContactRole.NEXT_OF_KIN) if draft.chance(0.6) else (ContactRole.CARER,)
        _contact(draft, rng.choice(_CARER_RELATIONSHIPS), roles)
    for carer in list(draft.carers):
        if carer.is_anonymous:
            continue
        when = draft.between(start, draft.day(3))
        la = "ORG-LA2" if draft.welsh else "ORG-LA1"
        _carers_assessment(draft, carer, CarersAssessmentStatus.OFFERED, when, la)
        if draft.chance(0.6):
            outcome = rng.choice((CarersAssessmentStatus.ACCEPTED, CarersAssessmentStatus.DECLINED))
            _carers_assessment(draft, carer, outcome, min(when + timedelta(days=rng.randint(3, 30)), draft.as_of), la)
        assessed = [a for a in draft.records if isinstance(a, CarersAssessment) and a.contact_id == carer.contact_id]
        if assessed[-1].status is CarersAssessmentStatus.ACCEPTED:  # the carer's own referral (004 §3.14)
            add_consent(
                draft,
                ConsentKind.DISCLOSURE,
                ConsentDecisionType.PERMIT,
                ConsentDecider.CONTACT,
                assessed[-1].status_date,
                decided_by_contact_id=carer.contact_id,
                recipient_organisation_id=la,
                shares=SharedInformation.CARER_DETAILS,
                legal_basis=LegalBasis.CARERS_ASSESSMENT,
            )
        if scenario == EdgeCase.BEST_INTERESTS_SHARING and not draft.sharing_consents:
            _best_interests(draft, carer, when)
        elif not carer.young_carer and draft.chance(0.8):  # the service user agrees to share the plan (DE-174)
            consent = add_consent(
                draft,
                ConsentKind.DISCLOSURE,
                ConsentDecisionType.PERMIT,
                ConsentDecider.SERVICE_USER,
                when,
                recipient_contact_id=carer.contact_id,
                shares=SharedInformation.CARE_PLANS,
            )
            draft.sharing_consents[carer.contact_id] = consent.consent_id
        if draft.chance(0.15):  # what a carer tells the team (DE-178), maybe not to be passed on (IS-13)
            assert draft.episode is not None
            draft.add(
                CarerInformation(
                    carer_information_id=draft.new_id("CI"),
                    contact_id=carer.contact_id,
                    received_at=draft.at(draft.between(when, draft.day(1))),
                    summary=rng.choice(_CARER_INFORMATION),
                    withhold_from_service_user=draft.chance(0.5),
                    recorded_by_staff_id=draft.lead.staff_id if draft.lead else None,
                )
            )
    if scenario != EdgeCase.NO_LEAD_YET and draft.chance(0.5):  # crisis plan for GPs and VCSE partners
        types = (PartnerOrganisationType.GP_PRACTICE, PartnerOrganisationType.VCSE)
        add_consent(
            draft,
            ConsentKind.DISCLOSURE,
            ConsentDecisionType.PERMIT,
            ConsentDecider.SERVICE_USER,
            draft.between(start, draft.day(2)),
            recipient_partner_types=types,
            shares=SharedInformation.CRISIS_PLAN,
        )
    _partner_consents(draft, start)


def vcse_consents(draft: Draft, main: CarePlan) -> None:
    """The VCSE partner in the care team may have this plan (its goals, care team and
    crisis plan), on the service user's own decision: not every plan (EC-47)."""
    members = [m for m in draft.records if isinstance(m, CareTeamMember)]
    for organisation in [m.member_id for m in members if m.member_kind is MemberKind.ORGANISATION]:
        if draft.chance(0.7):
            add_consent(
                draft,
                ConsentKind.DISCLOSURE,
                ConsentDecisionType.PERMIT,
                ConsentDecider.SERVICE_USER,
                draft.between(main.created_on, draft.day(1)),
                recipient_organisation_id=organisation,
                shares=SharedInformation.CARE_PLANS,
                care_plan_id=main.care_plan_id,
            )


def _partner_consents(draft: Draft, start: date) -> None:
    """The GP practice may have the DIALOG ratings (on the service user's own decision)."""
    gp = draft.service_user.gp_practice_id if draft.service_user else None
    if gp is not None and draft.scenario != EdgeCase.NO_LEAD_YET and draft.chance(0.3):
        add_consent(
            draft,
            ConsentKind.DISCLOSURE,
            ConsentDecisionType.PERMIT,
            ConsentDecider.SERVICE_USER,
            draft.between(start, draft.day(2)),
            recipient_organisation_id=gp,
            shares=SharedInformation.DIALOG,
        )


def _best_interests(draft: Draft, carer: Contact, when: date) -> None:
    """EC-40: the service user lacks capacity to decide about sharing; the lead decides in
    their best interests, on a recorded assessment (004 §5.7)."""
    assert draft.lead is not None
    assessed = when - timedelta(days=draft.rng.randint(1, 20))
    assessment = CapacityAssessment(
        capacity_assessment_id=draft.new_id("MC"),
        service_user_id=draft.su_id,
        decision=CapacityDecision.INFORMATION_SHARING,
        outcome=CapacityOutcome.LACKS_CAPACITY,
        assessed_on=assessed,
        assessor_staff_id=draft.lead.staff_id,
        note="Could not retain or weigh the information about who would see the plan; reassess in three months.",
    )
    draft.add(assessment)
    consent = add_consent(
        draft,
        ConsentKind.DISCLOSURE,
        ConsentDecisionType.PERMIT,
        ConsentDecider.BEST_INTERESTS,
        when,
        decided_by_staff_id=draft.lead.staff_id,
        capacity_assessment_id=assessment.capacity_assessment_id,
        recipient_contact_id=carer.contact_id,
        shares=SharedInformation.CARE_PLANS,
    )
    draft.sharing_consents[carer.contact_id] = consent.consent_id


def _carers_assessment(draft: Draft, carer: Contact, status: CarersAssessmentStatus, when: date, la: str) -> None:
    draft.add(
        CarersAssessment(
            carers_assessment_id=draft.new_id("CA"),
            contact_id=carer.contact_id,
            status=status,
            status_date=when,
            assessing_organisation_id=la,
        )
    )
