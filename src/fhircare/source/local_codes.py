"""Local canonical codes of the source model: the code lists no FHIR or fhircare code
system covers (service lines, performer kinds, review types, ...). A mapping file's value
maps translate a trust's local codes into these; the mapping stage decides how each
appears in FHIR (see :mod:`fhircare.source.codes` for the codes FHIR already has).
"""

from __future__ import annotations

from enum import StrEnum


class Jurisdiction(StrEnum):
    ENGLAND = "england"
    WALES = "wales"


class ServiceLine(StrEnum):
    """DE-034 service or pathway of an episode (a team's service line)."""

    COMMUNITY_MENTAL_HEALTH = "community-mental-health"
    EARLY_INTERVENTION = "early-intervention"
    ASSERTIVE_OUTREACH = "assertive-outreach"
    CRISIS_HOME_TREATMENT = "crisis-home-treatment"
    INPATIENT = "inpatient"
    REHABILITATION = "rehabilitation"
    OLDER_PEOPLE = "older-people"
    LEARNING_DISABILITY = "learning-disability"
    FORENSIC = "forensic"
    PERINATAL = "perinatal"
    EATING_DISORDERS = "eating-disorders"
    PRISON = "prison"


class PerformerKind(StrEnum):
    """Who carries out a care plan action (DE-054): the service user, a carer or other
    contact, a named service (a member of staff or a team) or a partner organisation."""

    SERVICE_USER = "service-user"
    CARER = "carer"
    STAFF = "staff"
    TEAM = "team"
    PARTNER_ORGANISATION = "partner-organisation"
    #: a service to contact (a crisis line, home treatment, NHS 111): crisis contacts
    SERVICE = "service"


class NeedStatus(StrEnum):
    """DD-02: whether an assessed need is met (unmet needs with a reason, DE-052)."""

    MET = "met"
    PARTLY_MET = "partly-met"
    UNMET = "unmet"


class PlanStatementKind(StrEnum):
    """What the service user says about themselves in the plan (DE-019; PRSB About Me):
    their strengths, and what matters most to them."""

    STRENGTH = "strength"
    WHAT_MATTERS = "what-matters-to-me"


class ReviewType(StrEnum):
    CPA_REVIEW = "cpa-review"
    CARE_SUPPORT_REVIEW = "care-support-review"
    CARE_COORDINATION_REVIEW = "care-coordination-review"
    CTP_REVIEW = "ctp-review"
    MDT_REVIEW = "mdt-review"
    EMERGENCY_REVIEW = "emergency-review"
    ADMISSION_REVIEW = "admission-review"
    PRE_DISCHARGE_REVIEW = "pre-discharge-review"
    POST_DISCHARGE_REVIEW = "post-discharge-review"


class ReviewRequester(StrEnum):
    """DE-144: who asked for a review."""

    SCHEDULED = "scheduled"
    SERVICE_USER = "service-user"
    CARER = "carer"
    GP = "gp"
    CARE_TEAM = "care-team"


class ContactMode(StrEnum):
    """DE-141: how a review conversation took place."""

    FACE_TO_FACE = "face-to-face"
    TELEPHONE = "telephone"
    VIDEO = "video"
    WRITTEN = "written"
    VIA_REPRESENTATIVE = "via-representative"


class DialogStatus(StrEnum):
    """A DIALOG offer's outcome (DE-153, EC-60): rated, declined, or not appropriate."""

    COMPLETED = "completed"
    DECLINED = "declined"
    NOT_APPROPRIATE = "not-appropriate"


class DialogNotAppropriateReason(StrEnum):
    ORGANIC_CONDITION = "organic-condition"
    LACKS_CAPACITY = "lacks-capacity-to-understand"
    TOO_UNWELL = "too-unwell"


class DialogCompletionMethod(StrEnum):
    """DE-151: how the ratings were given."""

    TEXT_LINK = "text-link"
    PATIENT_APP = "patient-app"
    IN_APPOINTMENT = "in-appointment"
    WITH_VCSE_PARTNER = "with-vcse-partner"
    PAPER = "paper"


class ConsentKind(StrEnum):
    """Disclosure (v3 ActCode IDSCL) or a carer's consent to have their details recorded (ICOL)."""

    DISCLOSURE = "disclosure"
    COLLECTION = "collection"


class ConsentDecisionType(StrEnum):
    PERMIT = "permit"
    DENY = "deny"


class ConsentDecider(StrEnum):
    """Who took a sharing decision: the service user, a contact (about their own details),
    a member of staff in the service user's best interests (they lack capacity for the
    decision), or a member of staff under a legal duty or breaking confidence for risk."""

    SERVICE_USER = "service-user"
    CONTACT = "contact"
    BEST_INTERESTS = "best-interests"
    STAFF = "staff"


class SharedInformation(StrEnum):
    """What a disclosure decision covers (DD-16, EC-47: consent may cover only part of
    the record): all care plans with their goals and care team, only the crisis,
    contingency and safety plans, DIALOG ratings and scores, the Section 117 after-care
    plan, or a carer's own details (for a carer's assessment)."""

    CARE_PLANS = "care-plans"
    CRISIS_PLAN = "crisis-plan"
    DIALOG = "dialog"
    SECTION_117 = "section-117-aftercare"
    CARER_DETAILS = "carer-details"


class LegalBasis(StrEnum):
    """A duty in law that makes a disclosure to a public body lawful without the service
    user's consent (IS-03: "prescribed circumstances regulated by legislation"):
    Section 117 after-care (jointly with the ICB or local health board), the local
    authority's Care Act 2014 (Wales: Social Services and Well-being Act 2014) duties, and
    its duty to offer carers an assessment (004 §3.14)."""

    SECTION_117 = "section-117"
    CARE_ACT = "care-act"
    CARERS_ASSESSMENT = "carers-assessment"


class MemberKind(StrEnum):
    """What a care team participant is (DE-121..127); a team stands for its duty worker
    cover (DE-118)."""

    STAFF = "staff"
    TEAM = "team"
    ORGANISATION = "organisation"
    CONTACT = "contact"
    SERVICE_USER = "service-user"


class LegalStatusKind(StrEnum):
    """DE-006: Mental Health Act status (in-episode and community)."""

    INFORMAL = "informal"
    S2 = "s2"
    S3 = "s3"
    S4 = "s4"
    S5 = "s5"
    S35 = "s35"
    S36 = "s36"
    S37 = "s37"
    S37_41 = "s37-41"
    S38 = "s38"
    S45A = "s45a"
    S47 = "s47"
    S48 = "s48"
    S135 = "s135"
    S136 = "s136"
    CTO = "cto"
    GUARDIANSHIP = "guardianship"
    CONDITIONAL_DISCHARGE = "conditional-discharge"


class AdmissionMethod(StrEnum):
    PLANNED = "planned"
    EMERGENCY = "emergency"
    MHA_DETENTION = "mha-detention"
    TRANSFER = "transfer"


class LeaveKind(StrEnum):
    SECTION_17 = "s17"
    INFORMAL = "informal"


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PlacementType(StrEnum):
    """DE-207 / EC-13: a planned specialist placement differs from a temporary acute bed."""

    SPECIALIST_REHABILITATION = "specialist-rehabilitation"
    LOCKED_REHABILITATION = "locked-rehabilitation"
    ACUTE_TEMPORARY = "acute-temporary"
    LEARNING_DISABILITY_AUTISM = "learning-disability-autism"
    SECURE = "secure"


class CapacityDecision(StrEnum):
    """DD-08: capacity is decision-specific."""

    INFORMATION_SHARING = "information-sharing"
    CARE_PLANNING = "care-planning"
    TREATMENT = "treatment"
    ACCOMMODATION = "accommodation"
    FINANCES = "finances"


class CapacityOutcome(StrEnum):
    HAS_CAPACITY = "has-capacity"
    LACKS_CAPACITY = "lacks-capacity"


class CommunicationNeed(StrEnum):
    """DE-002 / DE-003."""

    INTERPRETER = "interpreter"
    BSL = "bsl"
    EASY_READ = "easy-read"
    PLAIN_LANGUAGE = "plain-language"
    LARGE_PRINT = "large-print"
    BRAILLE = "braille"
    WELSH_LANGUAGE = "welsh-language"


class ReasonableAdjustmentKind(StrEnum):
    """What kind of reasonable adjustment a service user needs (DE-002, DE-004): fhircare's
    ``reasonable-adjustment`` code system, for a trust that codes them. The adjustment's own
    words say the rest (``other``: only the words do)."""

    INTERPRETER = "interpreter"
    BSL_INTERPRETER = "bsl-interpreter"
    EASY_READ = "easy-read"
    PLAIN_LANGUAGE = "plain-language"
    ACCESSIBLE_FORMAT = "accessible-format"
    CONTACT_METHOD = "contact-method"
    ENVIRONMENT = "environment"
    SUPPORT_PERSON = "support-person"
    LONGER_APPOINTMENT = "longer-appointment"
    OTHER = "other"


class EthnicCategory(StrEnum):
    """NHS Data Dictionary ethnic category (one letter; Z = not stated)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    J = "J"
    K = "K"
    L = "L"
    M = "M"
    N = "N"
    P = "P"
    R = "R"
    S = "S"
    Z = "Z"
