"""Canonical codes of the source model.

Where fhircare's own FHIR package defines a CodeSystem (``profiles/package/CodeSystem-*.json``)
the enum's values *are* that CodeSystem's codes, so mapping to FHIR is a lookup:
:func:`coding` gives the system and code of any member. Where FHIR itself has a code list
(administrative gender, CarePlan and Goal statuses, ...) its codes are used. The rest are
local canonical codes, named here once, that a mapping file's value maps translate a
trust's local codes into.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from fhircare.source.local_codes import NeedStatus, PlacementType, ReviewRequester, ReviewType, ServiceLine

FHIRCARE_CS = "https://fhir.fhircare.nhs.uk/CodeSystem/"
SNOMED = "http://snomed.info/sct"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
UKCORE_RELATIONSHIP = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole"
UKCORE_NHS_NUMBER_STATUS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"


class Coding(NamedTuple):
    system: str
    code: str


# --- fhircare CodeSystems -------------------------------------------------------------


class CareCoordinationArrangement(StrEnum):
    """DE-030..033: England trust CPA / Care Support, post-CPA key worker, Wales standard / enhanced."""

    CPA = "cpa"
    CARE_SUPPORT = "care-support"
    KEY_WORKER = "key-worker-care-coordination"
    WALES_STANDARD = "wales-standard-cpa"
    WALES_ENHANCED = "wales-enhanced-cpa"

    @property
    def in_wales(self) -> bool:
        return self.value.startswith("wales-")


class CrisisContingencyContent(StrEnum):
    TRIGGER = "trigger"
    EARLY_WARNING_SIGN = "early-warning-sign"
    WHAT_HELPS = "what-helps"
    CRISIS_ACTION = "crisis-action"
    CONTINGENCY_ARRANGEMENT = "contingency-arrangement"
    CRISIS_CONTACT = "crisis-contact"
    CARER_CONCERN_ROUTE = "carer-concern-route"
    ADVANCE_STATEMENT = "advance-statement"


class PlanningException(StrEnum):
    SERVICE_USER_DECLINED = "service-user-declined"
    SERVICE_USER_UNABLE = "service-user-unable"
    FAMILY_NOT_INVOLVED = "family-not-involved"


class MhaSection(StrEnum):
    """Sections a Section 117 entitlement arises from (and s17 leave, SCT)."""

    S3 = "s3"
    S37 = "s37"
    S45A = "s45a"
    S47 = "s47"
    S48 = "s48"
    S17_LEAVE = "s17-leave"
    SCT = "sct"


class LifeArea(StrEnum):
    """The eight Mental Health (Wales) Measure areas and the eleven DIALOG domains."""

    FINANCE_AND_MONEY = "finance-and-money"
    ACCOMMODATION = "accommodation"
    PERSONAL_CARE = "personal-care-and-physical-wellbeing"
    EDUCATION_AND_TRAINING = "education-and-training"
    WORK_AND_OCCUPATION = "work-and-occupation"
    PARENTING_OR_CARING = "parenting-or-caring-relationships"
    SOCIAL_CULTURAL_SPIRITUAL = "social-cultural-or-spiritual"
    MEDICAL_AND_OTHER_TREATMENT = "medical-and-other-treatment"
    DIALOG_MENTAL_HEALTH = "dialog-mental-health"
    DIALOG_PHYSICAL_HEALTH = "dialog-physical-health"
    DIALOG_JOB_SITUATION = "dialog-job-situation"
    DIALOG_ACCOMMODATION = "dialog-accommodation"
    DIALOG_LEISURE_ACTIVITIES = "dialog-leisure-activities"
    DIALOG_FRIENDSHIPS = "dialog-friendships"
    DIALOG_PARTNER_FAMILY = "dialog-partner-family"
    DIALOG_PERSONAL_SAFETY = "dialog-personal-safety"
    DIALOG_MEDICATION = "dialog-medication"
    DIALOG_PRACTICAL_HELP = "dialog-practical-help"
    DIALOG_MEETINGS = "dialog-meetings"


class DialogItem(StrEnum):
    """The eleven DIALOG items; values are the Questionnaire linkIds (and life-area codes)."""

    MENTAL_HEALTH = "dialog-mental-health"
    PHYSICAL_HEALTH = "dialog-physical-health"
    JOB_SITUATION = "dialog-job-situation"
    ACCOMMODATION = "dialog-accommodation"
    LEISURE_ACTIVITIES = "dialog-leisure-activities"
    FRIENDSHIPS = "dialog-friendships"
    PARTNER_FAMILY = "dialog-partner-family"
    PERSONAL_SAFETY = "dialog-personal-safety"
    MEDICATION = "dialog-medication"
    PRACTICAL_HELP = "dialog-practical-help"
    MEETINGS = "dialog-meetings"

    @property
    def life_area(self) -> LifeArea:
        return LifeArea(self.value)


class DialogTimepoint(StrEnum):
    BASELINE = "baseline"
    REVIEW = "review"
    END_OF_TREATMENT = "end-of-treatment"


class CoordinationRole(StrEnum):
    """The named-lead slot and its relatives (care-team-role, coordination roles)."""

    KEY_WORKER = "key-worker"
    CARE_COORDINATOR = "care-coordinator"
    LEAD_CLINICIAN = "lead-clinician"
    LEAD_PROFESSIONAL = "lead-professional"
    TEMPORARY_CARE_COORDINATOR = "temporary-care-coordinator"
    NAMED_NURSE = "named-nurse"
    NOMINATED_DELEGATE = "nominated-delegate"
    TEAM_MANAGER = "team-manager"
    DUTY_WORKER = "duty-worker"
    TCP_CASE_MANAGER = "tcp-case-manager"
    RESPONSIBLE_CLINICIAN = "responsible-clinician"

    @property
    def is_lead(self) -> bool:
        """A role that fills the named-lead slot itself (DE-110..117, DE-128): whichever
        one the service user's care coordination arrangement uses, never relabelled
        (002 ¶13). The nominated delegate, team manager, duty worker and responsible
        clinician cover or support the lead but are not it."""
        return self in LEAD_ROLES


#: the roles that fill the named-lead slot of a care team (care-team-role ``lead-role``)
LEAD_ROLES = frozenset(
    {
        CoordinationRole.KEY_WORKER,
        CoordinationRole.CARE_COORDINATOR,
        CoordinationRole.LEAD_CLINICIAN,
        CoordinationRole.LEAD_PROFESSIONAL,
        CoordinationRole.TEMPORARY_CARE_COORDINATOR,
        CoordinationRole.NAMED_NURSE,
        CoordinationRole.TCP_CASE_MANAGER,
    }
)


class Discipline(StrEnum):
    """MDT disciplines: SNOMED CT where standards.md gives a code, care-team-role otherwise."""

    MENTAL_HEALTH_NURSE = "mental-health-nurse"
    COMMUNITY_MENTAL_HEALTH_NURSE = "community-mental-health-nurse"
    PSYCHIATRIST = "psychiatrist"
    PSYCHOLOGIST = "psychologist"
    CLINICAL_PSYCHOLOGIST = "clinical-psychologist"
    COUNSELLOR = "mental-health-counsellor"
    PSYCHOTHERAPIST = "psychotherapist"
    CASE_MANAGER = "case-manager"
    NURSE_CASE_MANAGER = "nurse-case-manager"
    SECTION_12_DOCTOR = "section-12-doctor"
    GENERAL_PRACTITIONER = "general-practitioner"
    OCCUPATIONAL_THERAPY = "occupational-therapy"
    SOCIAL_WORK = "social-work"
    PEER_SUPPORT = "peer-support"
    SUPPORT_WORK = "support-work"
    PHARMACY = "pharmacy"
    EMPLOYMENT_SUPPORT = "employment-support"
    HOUSING = "housing"
    SUBSTANCE_USE = "substance-use"
    FINANCIAL_WELLBEING = "financial-wellbeing"
    VCSE_LINK_WORKER = "vcse-link-worker"
    #: an advocate (IMHA, IMCA or general advocacy), at an advocacy service (DE-125)
    ADVOCATE = "advocate"


class PartnerOrganisationType(StrEnum):
    NHS_MENTAL_HEALTH_TRUST = "nhs-mental-health-trust"
    OTHER_PROVIDER = "other-provider"
    PRISON_MENTAL_HEALTH = "prison-mental-health"
    GP_PRACTICE = "gp-practice"
    LOCAL_AUTHORITY = "local-authority"
    VCSE = "vcse"
    INTEGRATED_CARE_BOARD = "integrated-care-board"
    LOCAL_HEALTH_BOARD = "local-health-board"
    CRIMINAL_JUSTICE = "criminal-justice"
    ADVOCACY = "advocacy"
    CARE_PROVIDER = "care-provider"
    #: urgent and emergency care (IS-18: the crisis plan out of hours, by teams that are
    #: not the care team); the kinds below are all ``urgent-care`` to a reader
    URGENT_CARE = "urgent-care"
    AMBULANCE_SERVICE = "ambulance-service"
    NHS_111 = "nhs-111-provider"
    EMERGENCY_DEPARTMENT = "emergency-department"
    POLICE = "police"

    @property
    def is_urgent_care(self) -> bool:
        return self in URGENT_CARE_TYPES


#: the partner types a reader treats as urgent care (is-a ``urgent-care``)
URGENT_CARE_TYPES = frozenset(
    {
        PartnerOrganisationType.URGENT_CARE,
        PartnerOrganisationType.AMBULANCE_SERVICE,
        PartnerOrganisationType.NHS_111,
        PartnerOrganisationType.EMERGENCY_DEPARTMENT,
        PartnerOrganisationType.POLICE,
    }
)


class UrgentCareServiceType(StrEnum):
    """What a crisis or contingency contact is (HealthcareService.type, fhircare
    ``urgent-care-service-type``)."""

    CRISIS_LINE = "mental-health-crisis-line"
    CRISIS_HOME_TREATMENT = "crisis-resolution-home-treatment"
    NHS_111_MENTAL_HEALTH = "nhs-111-mental-health"
    LIAISON_PSYCHIATRY = "liaison-psychiatry"
    CRISIS_SANCTUARY = "crisis-sanctuary"
    EMERGENCY_SERVICES = "emergency-services"
    DUTY_WORKER = "duty-worker-line"


class ContactWhen(StrEnum):
    """When a crisis plan says to use a contact (fhircare ``contact-when``): [000 App 2]
    "whom to contact in their absence and who to contact out of hours or in a crisis"."""

    OFFICE_HOURS = "office-hours"
    OUT_OF_HOURS = "out-of-hours"
    ANY_TIME = "any-time"


class Weekday(StrEnum):
    """FHIR days-of-week."""

    MONDAY = "mon"
    TUESDAY = "tue"
    WEDNESDAY = "wed"
    THURSDAY = "thu"
    FRIDAY = "fri"
    SATURDAY = "sat"
    SUNDAY = "sun"


class RiskDomain(StrEnum):
    """The kinds of risk a risk assessment considers, one prediction each (DD-11: never a
    single "high risk" label; fhircare ``risk-domain``)."""

    HARM_TO_SELF = "harm-to-self"
    SUICIDE = "suicide"
    HARM_TO_OTHERS = "harm-to-others"
    HARM_FROM_OTHERS = "harm-from-others"
    SELF_NEGLECT = "self-neglect"
    SUBSTANCE_USE = "substance-use"
    SOCIAL_VULNERABILITY = "social-vulnerability"


class RiskLikelihood(StrEnum):
    """FHIR risk-probability, used only where the assessor recorded one."""

    NEGLIGIBLE = "negligible"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class MedicationAlert(StrEnum):
    """Medication a partner must know about (fhircare ``medication-alert``)."""

    DEPOT_INJECTION = "depot-injection"
    CLOZAPINE = "clozapine"
    LITHIUM = "lithium"


class MedicationStatus(StrEnum):
    """FHIR MedicationStatement.status."""

    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"
    ON_HOLD = "on-hold"
    INTENDED = "intended"


class ConsentBasis(StrEnum):
    """Why a disclosure is lawful (Consent.policyRule, fhircare ``consent-basis``): the
    person's own decision, a best-interests decision after a recorded capacity assessment,
    a legal duty of a local authority or health body, or confidence broken for risk."""

    EXPLICIT_CONSENT = "explicit-consent"
    BEST_INTERESTS = "best-interests"
    SECTION_117 = "legal-duty-section-117"
    CARE_ACT = "legal-duty-care-act"
    CARERS_ASSESSMENT = "legal-duty-carers-assessment"
    RISK_OVERRIDE = "risk-override"


class CarersAssessmentStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


class CarePlanType(StrEnum):
    """CarePlan.category (care-plan-type value set): SNOMED CT or fhircare care-plan-type."""

    PCSP = "pcsp"
    MENTAL_HEALTH_CARE_PLAN = "mental-health-care-plan"
    CRISIS_PLAN = "crisis-plan"
    CONTINGENCY_PLAN = "contingency-plan"
    WELSH_CTP = "welsh-care-and-treatment-plan"
    SAFETY_PLAN = "safety-plan"


class ContactRole(StrEnum):
    """What a carer or significant other is to the service user, beside their kinship (EC-41)."""

    CARER = "carer"
    NEXT_OF_KIN = "next-of-kin"
    EMERGENCY_CONTACT = "emergency-contact"
    NEAREST_RELATIVE = "nearest-relative"
    NOMINATED_REPRESENTATIVE = "nominated-representative"


class Relationship(StrEnum):
    """Kinship, as HL7 v3 RoleCode personal-relationship codes (UK Core PersonRelationshipType)."""

    MOTHER = "MTH"
    FATHER = "FTH"
    PARENT = "PRN"
    STEPPARENT = "STPPRN"
    SISTER = "SIS"
    BROTHER = "BRO"
    SIBLING = "SIB"
    SPOUSE = "SPS"
    DOMESTIC_PARTNER = "DOMPART"
    SON = "SON"
    DAUGHTER = "DAU"
    CHILD = "CHILD"
    GRANDPARENT = "GRPRN"
    GRANDCHILD = "GRNDCHILD"
    AUNT = "AUNT"
    UNCLE = "UNCLE"
    COUSIN = "COUSN"
    FAMILY_MEMBER = "FAMMEMB"
    FRIEND = "FRND"
    NEIGHBOUR = "NBOR"
    ROOMMATE = "ROOM"
    SIGNIFICANT_OTHER = "SIGOTHR"


class NhsNumberStatus(StrEnum):
    """UK Core NHS number verification status (England)."""

    VERIFIED = "01"
    NOT_TRACED = "02"
    TRACE_REQUIRED = "03"
    TRACE_NO_MATCH = "04"
    TRACE_TO_RESOLVE = "05"
    TRACE_IN_PROGRESS = "06"
    NOT_PRESENT = "07"
    TRACE_POSTPONED = "08"


# --- FHIR code lists used as they are ---------------------------------------------------


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class CarePlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    REVOKED = "revoked"
    COMPLETED = "completed"
    ENTERED_IN_ERROR = "entered-in-error"
    UNKNOWN = "unknown"


class ActivityStatus(StrEnum):
    NOT_STARTED = "not-started"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


class GoalLifecycleStatus(StrEnum):
    PROPOSED = "proposed"
    PLANNED = "planned"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class GoalAchievement(StrEnum):
    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no-change"
    ACHIEVED = "achieved"
    SUSTAINING = "sustaining"
    NOT_ACHIEVED = "not-achieved"
    NO_PROGRESS = "no-progress"
    NOT_ATTAINABLE = "not-attainable"


class EpisodeStatus(StrEnum):
    """EpisodeOfCare.status: ``waitlist`` is an accepted referral with no one allocated (EC-01)."""

    PLANNED = "planned"
    WAITLIST = "waitlist"
    ACTIVE = "active"
    ON_HOLD = "onhold"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class DischargeDisposition(StrEnum):
    """Encounter.hospitalization.dischargeDisposition (``aadvice``: left against advice, EC-19)."""

    HOME = "home"
    ALTERNATIVE_HOME = "alt-home"
    OTHER_HEALTHCARE_FACILITY = "other-hcf"
    HOSPICE = "hosp"
    LONG_TERM_CARE = "long"
    AGAINST_ADVICE = "aadvice"
    EXPIRED = "exp"
    PSYCHIATRIC_HOSPITAL = "psy"
    REHABILITATION = "rehab"
    SKILLED_NURSING = "snf"
    OTHER = "oth"


class DialogNotCompletedReason(StrEnum):
    """Why a DIALOG offer was not rated (fhircare ``dialog-not-completed-reason``): the
    service user's choice, or DIALOG not appropriate for them (EC-60)."""

    DECLINED = "declined"
    ORGANIC_CONDITION = "organic-condition"
    LACKS_CAPACITY = "lacks-capacity-to-understand"
    TOO_UNWELL = "too-unwell"


class DataAbsentReason(StrEnum):
    """Why one DIALOG item was not rated (the data-absent-reason codes the profile allows)."""

    ASKED_DECLINED = "asked-declined"
    ASKED_UNKNOWN = "asked-unknown"
    NOT_ASKED = "not-asked"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"


# --- codings -----------------------------------------------------------------------------

#: enums whose values are the codes of one code system
_SYSTEMS: dict[type[StrEnum], str] = {
    CareCoordinationArrangement: FHIRCARE_CS + "care-coordination-arrangement",
    CrisisContingencyContent: FHIRCARE_CS + "crisis-contingency-content",
    PlanningException: FHIRCARE_CS + "planning-exception",
    MhaSection: FHIRCARE_CS + "mha-section",
    LifeArea: FHIRCARE_CS + "life-area",
    DialogItem: FHIRCARE_CS + "life-area",
    DialogTimepoint: FHIRCARE_CS + "dialog-timepoint",
    CoordinationRole: FHIRCARE_CS + "care-team-role",
    PartnerOrganisationType: FHIRCARE_CS + "partner-organisation-type",
    CarersAssessmentStatus: FHIRCARE_CS + "carers-assessment-status",
    ConsentBasis: FHIRCARE_CS + "consent-basis",
    Relationship: V3_ROLE_CODE,
    ServiceLine: FHIRCARE_CS + "service-line",
    PlacementType: FHIRCARE_CS + "placement-type",
    NhsNumberStatus: UKCORE_NHS_NUMBER_STATUS,
    UrgentCareServiceType: FHIRCARE_CS + "urgent-care-service-type",
    ContactWhen: FHIRCARE_CS + "contact-when",
    RiskDomain: FHIRCARE_CS + "risk-domain",
    RiskLikelihood: "http://terminology.hl7.org/CodeSystem/risk-probability",
    MedicationAlert: FHIRCARE_CS + "medication-alert",
    DialogNotCompletedReason: FHIRCARE_CS + "dialog-not-completed-reason",
    NeedStatus: FHIRCARE_CS + "need-status",
    ReviewType: FHIRCARE_CS + "review-type",
    ReviewRequester: FHIRCARE_CS + "review-requester",
}

#: members of mixed-system enums, each with its own coding
_MIXED: list[tuple[StrEnum, Coding]] = [
    (CarePlanType.PCSP, Coding(SNOMED, "2181441000000107")),
    (CarePlanType.MENTAL_HEALTH_CARE_PLAN, Coding(SNOMED, "718347000")),
    (CarePlanType.CRISIS_PLAN, Coding(SNOMED, "736253002")),
    (CarePlanType.CONTINGENCY_PLAN, Coding(SNOMED, "325691000000100")),
    (CarePlanType.WELSH_CTP, Coding(FHIRCARE_CS + "care-plan-type", "welsh-care-and-treatment-plan")),
    (CarePlanType.SAFETY_PLAN, Coding(FHIRCARE_CS + "care-plan-type", "safety-plan")),
    (Discipline.MENTAL_HEALTH_NURSE, Coding(SNOMED, "224563006")),
    (Discipline.COMMUNITY_MENTAL_HEALTH_NURSE, Coding(SNOMED, "224564000")),
    (Discipline.PSYCHIATRIST, Coding(SNOMED, "80584001")),
    (Discipline.PSYCHOLOGIST, Coding(SNOMED, "59944000")),
    (Discipline.CLINICAL_PSYCHOLOGIST, Coding(SNOMED, "310191001")),
    (Discipline.COUNSELLOR, Coding(SNOMED, "310190000")),
    (Discipline.PSYCHOTHERAPIST, Coding(SNOMED, "224588003")),
    (Discipline.CASE_MANAGER, Coding(SNOMED, "768832004")),
    (Discipline.NURSE_CASE_MANAGER, Coding(SNOMED, "445451001")),
    (Discipline.SECTION_12_DOCTOR, Coding(SNOMED, "453881000000109")),
    (Discipline.GENERAL_PRACTITIONER, Coding(SNOMED, "62247001")),
    (Discipline.ADVOCATE, Coding(SNOMED, "429577009")),
    (ContactRole.CARER, Coding(UKCORE_RELATIONSHIP, "Carer")),
    (ContactRole.NEXT_OF_KIN, Coding(V2_0131, "N")),
    (ContactRole.EMERGENCY_CONTACT, Coding(V2_0131, "C")),
    (ContactRole.NEAREST_RELATIVE, Coding(FHIRCARE_CS + "related-person-role", "nearest-relative")),
    (ContactRole.NOMINATED_REPRESENTATIVE, Coding(FHIRCARE_CS + "related-person-role", "nominated-representative")),
]
_MIXED += [  # the disciplines without a SNOMED CT code are care-team-role codes
    (m, Coding(FHIRCARE_CS + "care-team-role", m.value))
    for m in Discipline
    if (Discipline, m.value) not in {(type(d), d.value) for d, _ in _MIXED}
]
#: keyed by enum and value: members of different enums with the same value (a StrEnum is
#: equal to its string) are different codes (``substance-use`` the discipline, the risk)
_CODINGS: dict[tuple[type[StrEnum], str], Coding] = {(type(m), m.value): c for m, c in _MIXED}


def coding(member: StrEnum) -> Coding:
    """The FHIR system and code of a canonical code (KeyError for purely local codes)."""
    found = _CODINGS.get((type(member), member.value))
    if found is not None:
        return found
    return Coding(_SYSTEMS[type(member)], member.value)


def code_system_enums() -> dict[type[StrEnum], str]:
    """Enums whose values are exactly the codes of a single code system, with its URL."""
    return dict(_SYSTEMS)
