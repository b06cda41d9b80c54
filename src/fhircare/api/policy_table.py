"""The access policy as data: who may see what, on which basis, and how much of it.

Read with ``api/policy.py`` (the engine that applies it) and requirements.md §3–§4. Each
row of :data:`RULES` says: partners of these organisation types may see resources of this
kind of information, when one of these bases holds, in this view. Nothing is visible
unless a row grants it, and the hard rules of the engine (very restricted information,
information withheld from the service user, people not to be involved) come first.

Bases (how a disclosure is lawful):

- ``always``: not anyone's record (the directory of teams, staff and organisations);
- ``gate``: the partner may see this service user at all (:data:`GATES`) — identity and
  the do-not-involve banner, which whoever sees the service user must see;
- ``direct-care``: the partner's role in the service user's direct care, unless the
  service user refused this disclosure;
- ``consent``: a permit Consent for this partner covers the resource (the service user's
  own decision, a best-interests decision on a recorded capacity assessment, or an
  override for risk), and no refusal does;
- ``legal-duty-…``: a permit Consent on that legal basis (Section 117 after-care, the
  Care Act, carers' assessments) covers the resource, and no refusal does;
- ``section-117-responsible``: the partner is named responsible for the service user's
  Section 117 after-care (the plan's ``section-117-aftercare`` extension), and no refusal
  covers the plan;
- ``own-record``: the service user's own access to their record (their app);
- ``sees-service-user``: the partner may see this service user at all (its gate, as
  ``gate``), and no refusal covers the resource: what everyone who gives the service user
  care must know to give it, their reasonable adjustments. Never more than the gate: a
  partner that may not see the service user sees none of it.

A refusal (a deny Consent covering the resource for this partner) always wins over a
permit, as profiles/README.md "What a reader may show to whom" states; an override for risk
or a legal duty opens only what no active refusal covers.

Views: ``whole`` resource; ``own-actions`` (a plan with only the actions the partner
performs); ``crisis-contacts`` (a crisis plan with only its crisis contacts);
``lead-contact`` (a care team with only its named lead, the default contact while a lead
is awaited, and the partner itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fhircare.api.record import CARE_TEAM_ROLE, CS

SNOMED = "http://snomed.info/sct"


class OrganisationType(StrEnum):
    """Who a registered partner is (``fhircare partners add --type``)."""

    GP = "gp"
    VCSE = "vcse"
    LOCAL_AUTHORITY = "local-authority"
    NHS_TRUST = "nhs-trust"
    URGENT_CARE = "urgent-care"
    SERVICE_USER_APP = "service-user-app"
    #: the trust's information governance: AuditEvents only, never clinical records
    ADMIN = "admin"


class Info(StrEnum):
    """Kinds of information, as the policy tells them apart (:data:`CLASSIFIERS`)."""

    IDENTITY = "identity"
    CARE_PLAN = "care-plan"
    CRISIS_PLAN = "crisis-plan"
    SECTION_117_PLAN = "section-117-plan"
    GOAL = "goal"
    CARE_TEAM = "care-team"
    DIALOG_RESPONSE = "dialog-response"
    DIALOG_SUMMARY = "dialog-summary"
    OBSERVATION = "observation"
    EPISODE = "episode"
    #: admissions, leave and placements, with the legal status (UK Core LegalStatus)
    ENCOUNTER = "encounter"
    CONTACT = "contact"
    #: a contact a crisis or contingency plan names, or an emergency contact
    CRISIS_CONTACT = "crisis-contact"
    #: a carer whose carer's assessment the viewing partner makes
    CARERS_ASSESSMENT = "carers-assessment"
    CONSENT = "consent"
    DO_NOT_INVOLVE_FLAG = "do-not-involve-flag"
    FLAG = "flag"
    CONDITION = "condition"
    DOCUMENT = "document"
    #: what a carer told the team (Communication, category carer-information)
    CARER_INFORMATION = "carer-information"
    #: what the crisis plan points to: triggers, early warning signs, what helps, the
    #: advance statement, the risk assessment and medication a crisis plan names
    #: (supportingInfo), and the pointer an urgent-care system finds the plan by
    CRISIS_INFORMATION = "crisis-information"
    #: needs and unmet needs the plan addresses (Condition, profile fhircare-need)
    NEED = "need"
    #: the service user's strengths and what matters to them (Observation, fhircare-about-me)
    ABOUT_ME = "about-me"
    #: a review of the plan: date, who took part, outcome (Encounter, fhircare-care-plan-review)
    REVIEW = "review"
    #: the latest risk assessment and its management plan (RiskAssessment)
    RISK = "risk"
    #: medication a partner must know about: depot, clozapine, lithium (MedicationStatement)
    MEDICATION = "medication"
    #: the Section 117 after-care entitlement on the service user (Flag, as well as FLAG)
    SECTION_117_ENTITLEMENT = "section-117-entitlement"
    #: a reasonable adjustment the service user needs (Flag, SNOMED CT 1108111000000107, as
    #: well as FLAG): how to give them care, for everyone who gives it (DE-002, DE-004)
    REASONABLE_ADJUSTMENT = "reasonable-adjustment"
    DIRECTORY = "directory"


class Basis(StrEnum):
    ALWAYS = "always"
    GATE = "gate"
    DIRECT_CARE = "direct-care"
    CONSENT = "consent"
    OWN_RECORD = "own-record"
    LEGAL_SECTION_117 = "legal-duty-section-117"
    LEGAL_CARE_ACT = "legal-duty-care-act"
    LEGAL_CARERS_ASSESSMENT = "legal-duty-carers-assessment"
    SECTION_117_RESPONSIBLE = "section-117-responsible"
    SEES_SERVICE_USER = "sees-service-user"


#: consent-basis codes of a decision the person (or someone for them) made
CONSENTED = frozenset({"explicit-consent", "best-interests", "risk-override"})


class View(StrEnum):
    WHOLE = "whole"
    #: the Patient without its ethnic category: special category data a partner outside
    #: direct care does not need to support someone (UK GDPR Art. 9; data minimisation)
    DEMOGRAPHICS = "demographics"
    OWN_ACTIONS = "own-actions"
    CRISIS_CONTACTS = "crisis-contacts"
    LEAD_CONTACT = "lead-contact"


class Gate(StrEnum):
    """When a partner may see a service user at all."""

    #: the service user is registered with the practice (Patient.generalPractitioner)
    REGISTERED = "registered"
    #: anyone the partner names (urgent care: whoever presents in crisis; searches must name a patient)
    NAMED = "named"
    #: the partner manages the care team (CareTeam.managingOrganization part of it), or a
    #: permit Consent names it
    MANAGING_OR_PERMITTED = "managing-or-permitted"
    #: a permit Consent names the partner (or its type, when it is involved in the care)
    PERMITTED = "permitted"
    #: as PERMITTED, or the partner is responsible for the Section 117 after-care
    PERMITTED_OR_SECTION_117 = "permitted-or-section-117"
    NEVER = "never"


_O = OrganisationType


@dataclass(frozen=True)
class Profile:
    """What the policy holds about each organisation type."""

    gate: Gate
    #: v3 ActReason purposes of use it reads for (a Consent's purposes must include one)
    purposes: tuple[str, ...]
    #: partner-organisation-type codes that name it in a Consent
    partner_codes: frozenset[str]
    #: may search across service users without naming one
    bulk_search: bool


PROFILES: dict[OrganisationType, Profile] = {
    _O.GP: Profile(Gate.REGISTERED, ("TREAT", "COC"), frozenset({"gp-practice"}), True),
    _O.VCSE: Profile(Gate.PERMITTED, ("COC",), frozenset({"vcse"}), True),
    _O.LOCAL_AUTHORITY: Profile(Gate.PERMITTED_OR_SECTION_117, ("COC",), frozenset({"local-authority"}), True),
    _O.NHS_TRUST: Profile(
        Gate.MANAGING_OR_PERMITTED, ("TREAT", "COC"), frozenset({"nhs-mental-health-trust", "other-provider"}), True
    ),
    # a Consent names urgent care by the partner-organisation-type codes under urgent-care
    # (value set urgent-care-organisation-type): a refusal to them is honoured
    _O.URGENT_CARE: Profile(
        Gate.NAMED,
        ("ETREAT", "TREAT"),
        frozenset({"urgent-care", "ambulance-service", "nhs-111-provider", "emergency-department", "police"}),
        False,
    ),
    # the app is enrolled by a permit naming it: the service user's own request (PATRQT),
    # or a permit from the trust's extract, which codes a permit to an organisation as
    # "to coordinate care" (COC; the extract does not tell an app from another partner).
    # It is one client for every enrolled service user, and shows each their own: each
    # search names one (a search naming no one gave every enrolled person's records at once)
    _O.SERVICE_USER_APP: Profile(Gate.PERMITTED, ("PATRQT", "COC"), frozenset(), False),
    _O.ADMIN: Profile(Gate.NEVER, ("HOPERAT",), frozenset(), True),
}

#: CarePlan categories of crisis, contingency and safety plans (SNOMED CT and fhircare care-plan-type)
CRISIS_CATEGORIES: frozenset[tuple[str | None, str]] = frozenset(
    {
        (SNOMED, "736253002"),
        (SNOMED, "325691000000100"),
        (CS + "care-plan-type", "crisis-plan"),
        (CS + "care-plan-type", "contingency-plan"),
        (CS + "care-plan-type", "safety-plan"),
    }
)
SECTION_117_CATEGORIES: frozenset[tuple[str | None, str]] = frozenset(
    {(CS + "care-plan-type", "section-117-aftercare")}
)
_SD = "https://fhir.fhircare.nhs.uk/StructureDefinition/"
DIALOG_SCORE_PROFILE = _SD + "fhircare-dialog-score"
#: profiles that mark a resource as a kind of its own (issue 10); a resource of the same type
#: without one of them is the type's general kind, which no reader sees more widely
PROFILE_KINDS: dict[str, Info] = {
    _SD + "fhircare-crisis-plan-information": Info.CRISIS_INFORMATION,
    _SD + "fhircare-advance-statement": Info.CRISIS_INFORMATION,
    _SD + "fhircare-crisis-plan-pointer": Info.CRISIS_INFORMATION,
    _SD + "fhircare-need": Info.NEED,
    _SD + "fhircare-about-me": Info.ABOUT_ME,
    _SD + "fhircare-care-plan-review": Info.REVIEW,
    _SD + "fhircare-dialog-item": Info.DIALOG_RESPONSE,
    _SD + "fhircare-dialog-offer": Info.DIALOG_RESPONSE,
    DIALOG_SCORE_PROFILE: Info.DIALOG_SUMMARY,
}
SECTION_117_FLAG_CODE = (CS + "flag-code", "section-117-aftercare")
DO_NOT_INVOLVE_FLAG_CODE = (CS + "flag-code", "do-not-involve")
#: the Core Information Standard's reasonable adjustment flag (standards.md §2.2)
REASONABLE_ADJUSTMENT_FLAG_CODE = (SNOMED, "1108111000000107")

#: care-team-role codes of the named lead, whichever the arrangement uses (never relabelled)
LEAD_ROLES: frozenset[tuple[str | None, str]] = frozenset(
    (CARE_TEAM_ROLE, code)
    for code in (
        "key-worker",
        "care-coordinator",
        "lead-clinician",
        "lead-professional",
        "temporary-care-coordinator",
        "named-nurse",
        "tcp-case-manager",
    )
)
#: who covers while a lead is awaited (004 §3.4)
DEFAULT_CONTACT_ROLES: frozenset[tuple[str | None, str]] = frozenset({(CARE_TEAM_ROLE, "duty-worker")})


@dataclass(frozen=True)
class Rule:
    organisation_types: frozenset[OrganisationType]
    info: Info
    bases: tuple[Basis, ...]
    view: View


def _rules(types: tuple[OrganisationType, ...], rows: list[tuple[Info, tuple[Basis, ...], View]]) -> list[Rule]:
    return [Rule(frozenset(types), info, bases, view) for info, bases, view in rows]


_D = (Basis.DIRECT_CARE,)
_C = (Basis.CONSENT,)
_G = (Basis.GATE,)
_OWN = (Basis.OWN_RECORD,)
W = View.WHOLE
#: reasonable adjustments exist so that everyone giving care can make them (DE-002, DE-004;
#: [002 ¶24] "Services therefore need to be provided in accessible ways and with the
#: required reasonable adjustments."): whoever may see the service user at all sees them,
#: whole, unless the service user refused that partner them (a deny Consent covering them)
_ADJUSTMENTS = (Info.REASONABLE_ADJUSTMENT, (Basis.SEES_SERVICE_USER,), W)
#: for a VCSE partner or a council, only where a consent covers the Flag itself: an
#: adjustment names the condition it is for ("for psychosis"), a diagnosis that a consent
#: to share the plan's actions with them does not disclose (H12); the plan's actions they
#: see can say how to make the adjustment
_ADJUSTMENTS_CONSENTED = (Info.REASONABLE_ADJUSTMENT, _C, W)

RULES: tuple[Rule, ...] = (
    # The directory (teams, staff, partner organisations) is no one's record.
    *_rules(tuple(t for t in _O if t is not _O.ADMIN), [(Info.DIRECTORY, (Basis.ALWAYS,), W)]),
    # GP: the plan, the care team with the lead's contact, crisis contacts, legal status and
    # the DIALOG summary, for its registered patients (requirements §3.2, P-07; issue 13)
    *_rules(
        (_O.GP,),
        [
            (Info.IDENTITY, _G, W),
            (Info.DO_NOT_INVOLVE_FLAG, _G, W),
            _ADJUSTMENTS,
            (Info.FLAG, _D, W),
            (Info.CARE_PLAN, _D, W),
            (Info.CRISIS_PLAN, _D, W),
            (Info.SECTION_117_PLAN, _D, W),
            (Info.GOAL, _D, W),
            (Info.CARE_TEAM, _D, W),
            (Info.CRISIS_CONTACT, _D, W),
            (Info.EPISODE, _D, W),
            (Info.ENCOUNTER, _D, W),
            (Info.DIALOG_SUMMARY, _D, W),
            (Info.CARER_INFORMATION, _D, W),
            # issue 10: what the plan addresses and points to, its reviews, and medication
            # the practice must know about (depot, clozapine, lithium: [004 §3.12] "any
            # additional such as depot administration is handed over"). The risk assessment
            # only as far as the crisis plan points to it: §3.2 gives risk assessments to
            # receiving trusts, prisons and carers, and the GP crisis and relapse advice
            (Info.NEED, _D, W),
            (Info.ABOUT_ME, _D, W),
            (Info.CRISIS_INFORMATION, _D, W),
            (Info.REVIEW, _D, W),
            (Info.MEDICATION, _D, W),
        ],
    ),
    # Urgent care: the crisis plan, its contacts and the lead's contact (IS-18, P-03)
    *_rules(
        (_O.URGENT_CARE,),
        [
            (Info.IDENTITY, _G, W),
            (Info.DO_NOT_INVOLVE_FLAG, _G, W),
            _ADJUSTMENTS,
            (Info.FLAG, _D, W),
            (Info.CRISIS_PLAN, _D, W),
            (Info.CRISIS_CONTACT, _D, W),
            (Info.CARE_TEAM, _D, View.LEAD_CONTACT),
            # what the crisis plan points to (the risk assessment and medication too, when
            # it names them), and the pointer that finds it (issue 10); "crisis and
            # contingency component only" (IS-18): nothing the crisis plan does not point
            # to, no needs, no reviews (Q-15 is open)
            (Info.CRISIS_INFORMATION, _D, W),
        ],
    ),
    # VCSE: only with consent, only what it needs: its own actions, the lead's contact,
    # crisis contacts, and DIALOG+ where the consent covers it (P-09, IS-02)
    *_rules(
        (_O.VCSE,),
        [
            (Info.IDENTITY, _G, View.DEMOGRAPHICS),
            (Info.DO_NOT_INVOLVE_FLAG, _G, W),
            # the worker meeting the person makes them too ("text first, no phone calls"),
            # where the service user agreed that they see it
            _ADJUSTMENTS_CONSENTED,
            (Info.CARE_PLAN, _C, View.OWN_ACTIONS),
            (Info.SECTION_117_PLAN, _C, View.OWN_ACTIONS),
            (Info.CRISIS_PLAN, _C, View.CRISIS_CONTACTS),
            (Info.CARE_TEAM, _C, View.LEAD_CONTACT),
            (Info.DIALOG_RESPONSE, _C, W),
            (Info.DIALOG_SUMMARY, _C, W),
        ],
    ),
    # Local authority: Section 117 after-care, the Care Act parts (its own actions) and
    # carers' assessments, each on its legal basis or with consent (P-08, IS-03)
    *_rules(
        (_O.LOCAL_AUTHORITY,),
        [
            (Info.IDENTITY, _G, View.DEMOGRAPHICS),
            (Info.DO_NOT_INVOLVE_FLAG, _G, W),
            # a social worker assessing or providing after-care makes them too, where the
            # service user agreed that they see it
            _ADJUSTMENTS_CONSENTED,
            (Info.SECTION_117_PLAN, (Basis.LEGAL_SECTION_117, Basis.SECTION_117_RESPONSIBLE, Basis.CONSENT), W),
            (Info.CARE_PLAN, (Basis.LEGAL_CARE_ACT, Basis.CONSENT), View.OWN_ACTIONS),
            (Info.CARERS_ASSESSMENT, (Basis.LEGAL_CARERS_ASSESSMENT, Basis.CONSENT), W),
            # the entitlement itself, on the service user (issue 10), for a body responsible
            (
                Info.SECTION_117_ENTITLEMENT,
                (Basis.LEGAL_SECTION_117, Basis.SECTION_117_RESPONSIBLE, Basis.CONSENT),
                W,
            ),
            (
                Info.CARE_TEAM,
                (
                    Basis.LEGAL_SECTION_117,
                    Basis.SECTION_117_RESPONSIBLE,
                    Basis.LEGAL_CARE_ACT,
                    Basis.LEGAL_CARERS_ASSESSMENT,
                    Basis.CONSENT,
                ),
                View.LEAD_CONTACT,
            ),
        ],
    ),
    # Another NHS trust involved in the care (inpatient wards, out-of-area providers,
    # receiving teams): the clinical record, carers' information included (P-01, P-02, P-05)
    *_rules(
        (_O.NHS_TRUST,),
        [
            (Info.IDENTITY, _G, W),
            (Info.DO_NOT_INVOLVE_FLAG, _G, W),
            # a trust reading on a permit for one part of the record meets the person too
            _ADJUSTMENTS,
            *[
                (info, _D, W)
                for info in (
                    Info.CARE_PLAN,
                    Info.CRISIS_PLAN,
                    Info.SECTION_117_PLAN,
                    Info.GOAL,
                    Info.CARE_TEAM,
                    Info.DIALOG_RESPONSE,
                    Info.DIALOG_SUMMARY,
                    Info.OBSERVATION,
                    Info.EPISODE,
                    Info.ENCOUNTER,
                    Info.CONTACT,
                    Info.CRISIS_CONTACT,
                    Info.CARERS_ASSESSMENT,
                    Info.CONSENT,
                    Info.FLAG,
                    Info.CONDITION,
                    Info.DOCUMENT,
                    Info.CARER_INFORMATION,
                    Info.CRISIS_INFORMATION,
                    Info.NEED,
                    Info.ABOUT_ME,
                    Info.REVIEW,
                    Info.RISK,
                    Info.MEDICATION,
                    Info.SECTION_117_ENTITLEMENT,
                )
            ],
        ],
    ),
    # The service user's own app: their record, except what a carer asked to be kept from
    # them (an engine hard rule) and people they do not want involved (IS-13, P-16)
    *_rules(
        (_O.SERVICE_USER_APP,),
        [
            (info, _OWN, W)
            for info in (
                Info.IDENTITY,
                Info.DO_NOT_INVOLVE_FLAG,
                Info.CARE_PLAN,
                Info.CRISIS_PLAN,
                Info.SECTION_117_PLAN,
                Info.GOAL,
                Info.CARE_TEAM,
                Info.DIALOG_RESPONSE,
                Info.DIALOG_SUMMARY,
                Info.EPISODE,
                Info.ENCOUNTER,
                Info.CONTACT,
                Info.CRISIS_CONTACT,
                Info.CONSENT,
                Info.CONDITION,
                Info.DOCUMENT,
                Info.OBSERVATION,
                Info.FLAG,
                Info.CARER_INFORMATION,
                Info.CRISIS_INFORMATION,
                Info.NEED,
                Info.ABOUT_ME,
                Info.REVIEW,
                Info.RISK,
                Info.MEDICATION,
                Info.SECTION_117_ENTITLEMENT,
                Info.REASONABLE_ADJUSTMENT,
            )
        ],
    ),
)

#: security labels (system, code) nobody reads through the API: very restricted (v3 V)
NEVER_DISCLOSED: frozenset[tuple[str | None, str]] = frozenset(
    {("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "V")}
)
#: security labels that keep a resource from the service user and every patient-facing
#: output (DD-17): v3 ActCode NOPAT, and fhircare carer-confidential
WITHHELD_FROM_SERVICE_USER: frozenset[tuple[str | None, str]] = frozenset(
    {
        ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "NOPAT"),
        (CS + "security-label", "carer-confidential"),
    }
)
#: organisation types whose readers are patient-facing
PATIENT_FACING: frozenset[OrganisationType] = frozenset({_O.SERVICE_USER_APP})
#: readers given a resource's current version alone, never an older one (service.py)
CURRENT_VERSION_ONLY: frozenset[OrganisationType] = PATIENT_FACING | {_O.VCSE, _O.LOCAL_AUTHORITY}
