"""Plain words for codes, used in generated narrative only (never in coded elements).

Written for service users, carers and partners rather than copied from code system
displays: "key worker", not "Care team role: key-worker". A code with no entry here is
shown as its words (``crisis-home-treatment`` → "crisis home treatment").
"""

from __future__ import annotations

import re
from enum import StrEnum

from fhircare.source.codes import (
    CareCoordinationArrangement,
    CarePlanType,
    ContactRole,
    CoordinationRole,
    CrisisContingencyContent,
    DataAbsentReason,
    DialogItem,
    Discipline,
    PartnerOrganisationType,
    Relationship,
    UrgentCareServiceType,
)

_WORDS = re.compile(r"^[a-z]+(-[a-z0-9]+)*$")

_LABELS: dict[StrEnum, str] = {
    PartnerOrganisationType.NHS_MENTAL_HEALTH_TRUST: "an NHS mental health trust",
    PartnerOrganisationType.OTHER_PROVIDER: "another care provider",
    PartnerOrganisationType.PRISON_MENTAL_HEALTH: "a prison mental health team",
    PartnerOrganisationType.GP_PRACTICE: "a GP practice",
    PartnerOrganisationType.LOCAL_AUTHORITY: "a local authority",
    PartnerOrganisationType.VCSE: "a voluntary sector organisation",
    PartnerOrganisationType.INTEGRATED_CARE_BOARD: "an integrated care board",
    PartnerOrganisationType.LOCAL_HEALTH_BOARD: "a local health board",
    PartnerOrganisationType.CRIMINAL_JUSTICE: "a criminal justice agency",
    PartnerOrganisationType.ADVOCACY: "an advocacy service",
    PartnerOrganisationType.CARE_PROVIDER: "a care provider",
    CarePlanType.PCSP: "care and support plan",
    CarePlanType.MENTAL_HEALTH_CARE_PLAN: "care plan",
    CarePlanType.CRISIS_PLAN: "crisis plan",
    CarePlanType.CONTINGENCY_PLAN: "contingency plan",
    CarePlanType.WELSH_CTP: "care and treatment plan",
    CarePlanType.SAFETY_PLAN: "safety plan",
    CareCoordinationArrangement.CPA: "the Care Programme Approach (CPA)",
    CareCoordinationArrangement.CARE_SUPPORT: "Care Support",
    CareCoordinationArrangement.KEY_WORKER: "care coordination with a named key worker",
    CareCoordinationArrangement.WALES_STANDARD: "standard CPA (Wales)",
    CareCoordinationArrangement.WALES_ENHANCED: "enhanced CPA (Wales)",
    CoordinationRole.CARE_COORDINATOR: "care co-ordinator",
    CoordinationRole.TEMPORARY_CARE_COORDINATOR: "temporary care co-ordinator",
    CoordinationRole.TCP_CASE_MANAGER: "TCP case manager",
    Discipline.COUNSELLOR: "mental health counsellor",
    Discipline.SECTION_12_DOCTOR: "section 12 approved doctor",
    Discipline.GENERAL_PRACTITIONER: "GP",
    Discipline.SOCIAL_WORK: "social worker",
    Discipline.PEER_SUPPORT: "peer support worker",
    Discipline.SUPPORT_WORK: "support worker",
    Discipline.OCCUPATIONAL_THERAPY: "occupational therapist",
    Discipline.PHARMACY: "pharmacist",
    Discipline.VCSE_LINK_WORKER: "voluntary sector link worker",
    ContactRole.NEXT_OF_KIN: "next of kin",
    ContactRole.EMERGENCY_CONTACT: "emergency contact",
    Relationship.STEPPARENT: "step-parent",
    Relationship.SPOUSE: "spouse or civil partner",
    Relationship.DOMESTIC_PARTNER: "partner",
    Relationship.GRANDCHILD: "grandchild",
    Relationship.FAMILY_MEMBER: "family member",
    Relationship.NEIGHBOUR: "neighbour",
    Relationship.ROOMMATE: "housemate",
    Relationship.SIGNIFICANT_OTHER: "significant other",
    DialogItem.PARTNER_FAMILY: "partner or family",
    DialogItem.MEETINGS: "consultations with mental health professionals",
    DataAbsentReason.ASKED_DECLINED: "chose not to rate it",
    DataAbsentReason.ASKED_UNKNOWN: "did not know",
    DataAbsentReason.NOT_ASKED: "not asked",
    DataAbsentReason.NOT_APPLICABLE: "not applicable",
    DataAbsentReason.UNKNOWN: "reason not known",
    CrisisContingencyContent.WHAT_HELPS: "what helps",
    PartnerOrganisationType.URGENT_CARE: "an urgent and emergency care service",
    PartnerOrganisationType.AMBULANCE_SERVICE: "an ambulance service",
    PartnerOrganisationType.NHS_111: "an NHS 111 provider",
    PartnerOrganisationType.EMERGENCY_DEPARTMENT: "an emergency department",
    PartnerOrganisationType.POLICE: "a police force",
    UrgentCareServiceType.NHS_111_MENTAL_HEALTH: "NHS 111 mental health option",
    UrgentCareServiceType.EMERGENCY_SERVICES: "emergency services (999)",
    Discipline.ADVOCATE: "advocate",
}


def label(member: StrEnum) -> str:
    """The plain words for a code."""
    found = _LABELS.get(member)
    if found is not None:
        return found
    if _WORDS.match(member.value):  # a code made of words: life areas, roles, ...
        return member.value.removeprefix("dialog-").replace("-", " ")
    return member.name.lower().replace("_", " ")  # a short code (MTH, 01): its name
