"""Synthetic carers and significant others, carer's assessments, what carers tell
the team, and the service user's sharing decisions (EC-42, EC-43, EC-45)."""

from __future__ import annotations

from datetime import date, timedelta

from fhircare.source.carers import CarerInformation, CarersAssessment, ConsentDecision, Contact
from fhircare.source.codes import (
    CarersAssessmentStatus,
    ContactRole,
    PartnerOrganisationType,
    Relationship,
)
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
)
from fhircare.synth import names
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


def _consent(
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
        _consent(
            draft,
            ConsentKind.COLLECTION,
            ConsentDecisionType.DENY,
            ConsentDecider.CONTACT,
            draft.between(start, draft.day(2)),
            decided_by_contact_id=carer.contact_id,
        )
    if scenario == EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT:  # EC-43
        when = draft.between(start, draft.day(2))
        person = _contact(
            draft,
            rng.choice((Relationship.FATHER, Relationship.BROTHER)),
            (),
            do_not_involve=True,
            do_not_involve_recorded_at=draft.at(when),
        )
        _consent(
            draft,
            ConsentKind.DISCLOSURE,
            ConsentDecisionType.DENY,
            ConsentDecider.SERVICE_USER,
            when,
            recipient_contact_id=person.contact_id,
            rationale="Has capacity for this decision and explained why; no overriding risk identified.",
        )
    if scenario != EdgeCase.NO_KEY_WORKER_YET and draft.chance(0.7):
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
        if not carer.young_carer and draft.chance(0.8):  # the service user agrees to share the plan (DE-174)
            consent = _consent(
                draft,
                ConsentKind.DISCLOSURE,
                ConsentDecisionType.PERMIT,
                ConsentDecider.SERVICE_USER,
                when,
                recipient_contact_id=carer.contact_id,
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
                    recorded_by_staff_id=draft.key_worker.staff_id if draft.key_worker else None,
                )
            )
    if scenario != EdgeCase.NO_KEY_WORKER_YET and draft.chance(0.5):  # crisis plan for GPs and VCSE partners
        types = (PartnerOrganisationType.GP_PRACTICE, PartnerOrganisationType.VCSE)
        _consent(
            draft,
            ConsentKind.DISCLOSURE,
            ConsentDecisionType.PERMIT,
            ConsentDecider.SERVICE_USER,
            draft.between(start, draft.day(2)),
            recipient_partner_types=types,
        )


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
