"""Sharing decisions (fhircare-consent) that say exactly what they permit.

One Consent per decision (DD-16). Its provision is coded so that a reader can decide
from the resource alone what it covers, and its narrative is written from that coding,
never alongside it:

- what: ``provision.class`` (resource types, or fhircare profiles for DIALOG), narrowed
  by ``provision.code`` (CarePlan categories: crisis, contingency and safety plans; plans
  with Section 117 after-care) and ``provision.data`` (one plan with what it refers to
  and the plans part of it; a carer's own record). Class, code and data are all required
  to match; several values of one are alternatives;
- to whom: ``provision.actor`` (role IRCP) or the partner organisation types;
- why: ``provision.purpose`` (v3 ActReason: SUPNWK for carers and family, COC for
  organisations, ETREAT as well for the crisis plan);
- on what basis: ``policyRule`` (fhircare consent-basis: the person's own decision, best
  interests after the capacity assessment linked by the ``capacity-assessment``
  extension, a legal duty, or an override for risk whose rationale is a Provenance);
- for how long: ``provision.period``.

A refusal that records nothing in particular covers everything: it has no class, code
or data. A permit always names its class.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhircare.mapping.care_plan import SECTION_117_CATEGORY
from fhircare.mapping.context import ResourceKey
from fhircare.mapping.fhir import (
    STRUCTURE_DEFINITION,
    Json,
    about_service_user,
    code,
    coding,
    concept,
    extension,
    fhir_datetime,
    period,
    profile_url,
    prune,
)
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import GENERATED, listing, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.carers import ConsentDecision
from fhircare.source.codes import CarePlanType, ConsentBasis, PartnerOrganisationType
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    LegalBasis,
    PerformerKind,
    SharedInformation,
)

_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
#: a profile named as a class of information (the R4 ConsentContentClass pattern)
URI = "urn:ietf:rfc:3986"

#: a recipient of disclosure (v3 ParticipationType IRCP), as the profile fixes it
_RECIPIENT_ROLE = concept(coding(_PARTICIPATION, "IRCP"))

_LEGAL_BASIS = {
    LegalBasis.SECTION_117: ConsentBasis.SECTION_117,
    LegalBasis.CARE_ACT: ConsentBasis.CARE_ACT,
    LegalBasis.CARERS_ASSESSMENT: ConsentBasis.CARERS_ASSESSMENT,
}

#: the CarePlan categories of crisis, contingency and safety plans (care-plan-type)
CRISIS_PLAN_CATEGORIES: tuple[Json, ...] = (
    code(CarePlanType.CRISIS_PLAN),
    code(CarePlanType.CONTINGENCY_PLAN),
    code(CarePlanType.SAFETY_PLAN),
)


def basis(decision: ConsentDecision) -> ConsentBasis:
    """Why the decision is lawful: a legal duty, an override for risk, a best-interests
    decision, or the person's own decision."""
    if decision.legal_basis is not None:
        return _LEGAL_BASIS[decision.legal_basis]
    if decision.override:
        return ConsentBasis.RISK_OVERRIDE
    if decision.decided_by is ConsentDecider.BEST_INTERESTS:
        return ConsentBasis.BEST_INTERESTS
    return ConsentBasis.EXPLICIT_CONSENT


@dataclass(frozen=True)
class Coverage:
    """What a provision covers: classes (resource types or profiles), CarePlan category
    codes and data references (meaning, key), with the words for each."""

    classes: tuple[Json, ...] = ()
    codes: tuple[Json, ...] = ()
    data: tuple[tuple[str, ResourceKey], ...] = ()
    #: what is covered in words, ``{su}`` standing for the service user's name
    words: str = "any information about {su}"


def _types(*names: str) -> tuple[Json, ...]:
    return tuple(coding(RESOURCE_TYPES, n) for n in names)


def _profiles(*names: str) -> tuple[Json, ...]:
    return tuple(coding(URI, profile_url(n)) for n in names)


def coverage(decision: ConsentDecision, refs: Refs) -> Coverage:
    """What the decision covers, coded."""
    scope = decision.scope
    plan = decision.care_plan_id
    if scope is None:
        return Coverage()
    if scope is SharedInformation.CARER_DETAILS:
        carer = decision.decided_by_contact_id
        assert carer is not None  # the source model requires the carer's own decision
        return Coverage(
            _types("RelatedPerson"),
            data=(("instance", refs.contact(carer)),),
            words="their own details as {su}'s carer",
        )
    if scope is SharedInformation.DIALOG:
        return Coverage(
            _profiles("fhircare-dialog-response", "fhircare-dialog-score"), words="{su}'s DIALOG ratings and scores"
        )
    if scope is SharedInformation.SECTION_117:
        return Coverage(
            _types("CarePlan"),
            (SECTION_117_CATEGORY,),
            words="{su}'s care plans that include Section 117 after-care",
        )
    if scope is SharedInformation.CRISIS_PLAN:
        data = (("dependents", refs.care_plan(plan)),) if plan else ()
        of = " of this care plan" if plan else ""
        return Coverage(
            _types("CarePlan"),
            CRISIS_PLAN_CATEGORIES,
            data,
            words=f"{{su}}'s crisis, contingency and safety plans{of}",
        )
    if plan is not None:
        key = refs.care_plan(plan)
        return Coverage(
            _types("CarePlan", "Goal", "CareTeam"),
            data=(("related", key), ("dependents", key)),
            words="{su}'s care plan, with its goals and care team and the plans that are part of it",
        )
    return Coverage(_types("CarePlan", "Goal", "CareTeam"), words="{su}'s care plans, goals and care team")


def purposes(decision: ConsentDecision) -> tuple[str, ...]:
    """What the recipient may use it for (v3 ActReason purposes of use)."""
    if decision.decision is ConsentDecisionType.DENY:
        return ()
    if decision.kind is ConsentKind.COLLECTION:
        return ("COC",)
    first = "SUPNWK" if decision.recipient_contact_id is not None else "COC"
    return (first, "ETREAT") if decision.scope is SharedInformation.CRISIS_PLAN else (first,)


_PURPOSE_WORDS = {
    "SUPNWK": "so that they can support {su}",
    "COC": "to coordinate {su}'s care",
    "ETREAT": "for urgent care in a crisis",
}
_BASIS_WORDS = {
    ConsentBasis.EXPLICIT_CONSENT: "",
    ConsentBasis.BEST_INTERESTS: "in {su}'s best interests, as {su} lacks capacity to decide this",
    ConsentBasis.SECTION_117: "under the duty to provide Section 117 after-care (Mental Health Act 1983)",
    ConsentBasis.CARE_ACT: "under the local authority's duties for care and support (Care Act 2014)",
    ConsentBasis.CARERS_ASSESSMENT: "for the local authority's assessment of their needs as a carer",
    ConsentBasis.RISK_OVERRIDE: "without {su}'s agreement, because of a risk to safety",
}


def purpose_words(codes: tuple[str, ...], su: str) -> str:
    return " and ".join(_PURPOSE_WORDS[c].format(su=su) for c in codes)


def basis_words(value: ConsentBasis, su: str) -> str:
    return _BASIS_WORDS[value].format(su=su)


def _recipients(decision: ConsentDecision, refs: Refs) -> tuple[list[Json], str]:
    """The actors (IRCP) and who they are in words."""
    if decision.kind is ConsentKind.COLLECTION:
        return [{"role": _RECIPIENT_ROLE, "reference": refs.trust.reference()}], refs.context.trust_name
    if decision.recipient_contact_id is not None:
        person = who(PerformerKind.CARER, decision.recipient_contact_id, refs)
        return [{"role": _RECIPIENT_ROLE, "reference": refs.contact(decision.recipient_contact_id).reference()}], person
    if decision.recipient_organisation_id is not None:
        organisation = refs.organisation(decision.recipient_organisation_id)
        words = who(PerformerKind.PARTNER_ORGANISATION, decision.recipient_organisation_id, refs)
        return [{"role": _RECIPIENT_ROLE, "reference": organisation.reference()}], words
    return [], "every " + listing(partner_type_words(t) for t in decision.recipient_partner_types)


def partner_type_words(kind: PartnerOrganisationType) -> str:
    """``GP practice`` (without its article)."""
    return label(kind).removeprefix("a ").removeprefix("an ")


def _provision(decision: ConsentDecision, refs: Refs, covered: Coverage) -> Json:
    actors, _ = _recipients(decision, refs)
    action = "collect" if decision.kind is ConsentKind.COLLECTION else "disclose"
    types = [
        extension(STRUCTURE_DEFINITION + "partner-organisation-type", valueCodeableConcept=concept(code(t)))
        for t in decision.recipient_partner_types
    ]
    return prune(
        {
            "extension": types,
            "type": decision.decision.value,
            "period": period(decision.decided_at.date(), decision.end_date),
            "actor": actors,
            "action": [concept(coding(_CONSENT_ACTION, action))],
            "purpose": [coding(_ACT_REASON, p) for p in purposes(decision)],
            "class": list(covered.classes),
            "code": [concept(c) for c in covered.codes],
            "data": [{"meaning": meaning, "reference": key.reference()} for meaning, key in covered.data],
        }
    )


def _decider(decision: ConsentDecision, refs: Refs) -> tuple[ResourceKey, str]:
    if decision.decided_by is ConsentDecider.CONTACT:
        assert decision.decided_by_contact_id is not None
        return refs.contact(decision.decided_by_contact_id), who(
            PerformerKind.CARER, decision.decided_by_contact_id, refs
        )
    if decision.decided_by in (ConsentDecider.BEST_INTERESTS, ConsentDecider.STAFF):
        assert decision.decided_by_staff_id is not None  # the source model requires it
        return refs.practitioner_role(decision.decided_by_staff_id), who(
            PerformerKind.STAFF, decision.decided_by_staff_id, refs
        )
    return refs.patient, refs.record.service_user.given_name


def _words(decision: ConsentDecision, refs: Refs, covered: Coverage) -> list[str]:
    """The decision in plain words, from exactly what the provision codes."""
    su = refs.record.service_user.given_name
    when = long_date(decision.decided_at)
    _, decider = _decider(decision, refs)
    _, to_whom = _recipients(decision, refs)
    what = covered.words.format(su=su)
    permit = decision.decision is ConsentDecisionType.PERMIT
    if decision.kind is ConsentKind.COLLECTION:
        verb = "agreed" if permit else "did not agree"
        first = f"On {when} {decider} {verb} that {to_whom} may keep a record of {what}"
    elif not permit:
        verb = "is not to be shared" if covered.classes else "is to be shared"
        what = what if covered.classes else f"no information about {su}"
        first = f"On {when} {decider} decided that {what} {verb} with {to_whom}"
    elif decision.decided_by in (ConsentDecider.SERVICE_USER, ConsentDecider.CONTACT):
        first = f"On {when} {decider} agreed that {what} may be shared with {to_whom}"
    else:
        first = f"On {when} {decider} decided that {what} may be shared with {to_whom}"
    why = purpose_words(purposes(decision), su)
    on = basis_words(basis(decision), su)
    until = f"until {long_date(decision.end_date)}" if decision.end_date else "with no end date"
    return [
        sentence(", ".join(p for p in (first, why, on) if p)),
        sentence(f"From {long_date(decision.decided_at)}, {until}"),
    ]


def consent(decision: ConsentDecision, refs: Refs) -> Json:
    key = refs.consent(decision.consent_id)
    ended = decision.end_date is not None and decision.end_date < refs.context.as_of
    category = "ICOL" if decision.kind is ConsentKind.COLLECTION else "IDSCL"
    covered = coverage(decision, refs)
    performer, _ = _decider(decision, refs)
    capacity = decision.capacity_assessment_id
    # a carer's own decision (to have their details recorded, to share them for a carer's
    # assessment) is something they told the team: when they asked that what they tell is
    # not passed on to the service user, it is withheld from them too (IS-13; API review:
    # the service user's app was shown such a carer's consent, naming them)
    withheld = decision.decided_by is ConsentDecider.CONTACT and refs.told_by_withholding_carer(
        PerformerKind.CARER, decision.decided_by_contact_id
    )
    return prune(
        {
            "resourceType": "Consent",
            "id": key.id,
            "meta": about_service_user("fhircare-consent", withheld=withheld),
            # written from exactly what the provision codes (test_safe_to_share compares them)
            "text": narrative(*_words(decision, refs, covered), status=GENERATED),
            "extension": (
                [
                    extension(
                        STRUCTURE_DEFINITION + "capacity-assessment",
                        valueReference=refs.capacity_assessment(capacity).reference(),
                    )
                ]
                if capacity
                else None
            ),
            "identifier": [key.identifier],
            "status": "inactive" if ended else "active",
            "scope": concept(coding(_CONSENT_SCOPE, "patient-privacy")),
            "category": [concept(coding(_ACT_CODE, category))],
            "patient": refs.patient.reference(),
            "dateTime": fhir_datetime(decision.decided_at),
            "performer": [performer.reference()],
            "organization": [refs.trust.reference()],
            "policy": [{"uri": refs.context.consent_policy_uri}],
            "policyRule": concept(code(basis(decision))),
            "provision": _provision(decision, refs, covered),
        }
    )
