"""The requirements.md §6 edge cases a synthetic extract covers, and how to recognise
each one in a service user's records (from the data, not from the generator's intent, so
tests can check an extract that has been written and read back)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import ContactRole, CoordinationRole, EpisodeStatus
from fhircare.source.local_codes import (
    ConsentDecider,
    ConsentDecisionType,
    ConsentKind,
    DialogStatus,
    Jurisdiction,
    LegalStatusKind,
    NeedStatus,
)


class EdgeCase(StrEnum):
    NO_LEAD_YET = "no-lead-yet"  # EC-01
    LEAD_CHANGE = "lead-change"  # EC-06
    TRANSFER_BETWEEN_TEAMS = "transfer-between-teams"  # EC-10
    OUT_OF_AREA_PLACEMENT = "out-of-area-placement"  # EC-13
    YOUNG_CARER = "young-carer"  # EC-42
    CARER_REFUSING_CONSENT = "carer-refusing-consent"  # EC-45
    SERVICE_USER_REFUSING_CARER_INVOLVEMENT = "service-user-refusing-carer-involvement"  # EC-43
    DIALOG_DECLINED = "dialog-declined"  # DE-153
    WELSH_SERVICE_USER = "welsh-service-user"  # EC-17, DE-003
    INPATIENT_ADMISSION_AND_DISCHARGE = "inpatient-admission-and-discharge"  # DE-200..205
    SECTION_117 = "section-117"  # DE-007
    DEFAULT_LEAD_AT_DISCHARGE = "default-lead-at-discharge"  # EC-02
    NEAREST_RELATIVE_NOT_INVOLVED = "nearest-relative-not-involved"  # EC-44
    BEST_INTERESTS_SHARING = "best-interests-sharing"  # EC-40
    CARE_COORDINATOR_LEAD = "care-coordinator-lead"  # DE-111, 002 ¶13 (CPA and Wales; by arrangement)
    COMMUNITY_LEGAL_STATUS = "community-legal-status"  # DE-006, DD-06: CTO, guardianship, conditional discharge
    DIALOG_NOT_APPROPRIATE = "dialog-not-appropriate"  # EC-60
    UNMET_NEED = "unmet-need"  # DE-052, EC-75
    CTP_AREA_SELF_MANAGED = "ctp-area-self-managed"  # EC-76
    REVIEW_BY_REPRESENTATIVE = "review-by-representative"  # EC-52, EC-53
    PLAN_VERSION_REPLACED = "plan-version-replaced"  # DD-13 (replaces)
    MORE_HELP_GOAL = "more-help-goal"  # DE-154 (DIALOG+)
    MEDICATION_ALERT = "medication-alert"  # DE-070 (depot, clozapine, lithium)


#: the scenario each service user follows, by index modulo the length: every block of
#: this many consecutive service users covers every edge case; "typical" covers none of
#: its own (its lead role still follows its arrangement: key worker, care co-ordinator or
#: lead clinician)
SCENARIOS: tuple[str, ...] = (
    EdgeCase.NO_LEAD_YET,
    EdgeCase.LEAD_CHANGE,
    EdgeCase.TRANSFER_BETWEEN_TEAMS,
    EdgeCase.OUT_OF_AREA_PLACEMENT,
    EdgeCase.YOUNG_CARER,
    EdgeCase.CARER_REFUSING_CONSENT,
    EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT,
    EdgeCase.DIALOG_DECLINED,
    EdgeCase.WELSH_SERVICE_USER,  # a statutory care co-ordinator (001 ¶136)
    EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE,  # with Section 117 after-care
    EdgeCase.DEFAULT_LEAD_AT_DISCHARGE,
    EdgeCase.NEAREST_RELATIVE_NOT_INVOLVED,
    EdgeCase.BEST_INTERESTS_SHARING,  # DIALOG not appropriate; a review by a representative
    EdgeCase.COMMUNITY_LEGAL_STATUS,  # guardianship or conditional discharge, clozapine
    "typical",  # a goal from a DIALOG "more help" answer
)
#: Mental Health Act statuses that apply in the community (DD-06)
COMMUNITY_STATUSES = frozenset(
    {LegalStatusKind.CTO, LegalStatusKind.GUARDIANSHIP, LegalStatusKind.CONDITIONAL_DISCHARGE}
)


def edge_cases(record: ServiceUserRecord, as_of: date) -> frozenset[EdgeCase]:
    """The edge cases a service user's records show."""
    found: set[EdgeCase] = set()
    current_leads = record.leads_on(as_of)
    if any(e.status is EpisodeStatus.WAITLIST and e.key_worker_awaiting_since for e in record.episodes) and not (
        current_leads
    ):
        found.add(EdgeCase.NO_LEAD_YET)
    leads = [m for m in record.care_team if m.is_lead]
    ended_people = {m.member_id for m in leads if m.end_date is not None and m.end_date < as_of}
    if current_leads and ended_people - {m.member_id for m in current_leads}:
        found.add(EdgeCase.LEAD_CHANGE)
    if any(m.defaulted for m in current_leads):
        found.add(EdgeCase.DEFAULT_LEAD_AT_DISCHARGE)
    if any(m.coordination_role is CoordinationRole.CARE_COORDINATOR for m in current_leads):
        found.add(EdgeCase.CARE_COORDINATOR_LEAD)
    if record.transfers:
        found.add(EdgeCase.TRANSFER_BETWEEN_TEAMS)
    if record.out_of_area_placements:
        found.add(EdgeCase.OUT_OF_AREA_PLACEMENT)
    if any(c.young_carer and c.is_carer for c in record.contacts):
        found.add(EdgeCase.YOUNG_CARER)
    if any(
        c.kind is ConsentKind.COLLECTION and c.decision is ConsentDecisionType.DENY and c.decided_by_contact_id
        for c in record.consents
    ):
        found.add(EdgeCase.CARER_REFUSING_CONSENT)
    refused = {
        c.recipient_contact_id
        for c in record.consents
        if c.kind is ConsentKind.DISCLOSURE
        and c.decision is ConsentDecisionType.DENY
        and c.decided_by is ConsentDecider.SERVICE_USER
    }
    if any(c.do_not_involve and c.contact_id in refused for c in record.contacts):
        found.add(EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT)
    if any(c.do_not_involve and ContactRole.NEAREST_RELATIVE in c.roles for c in record.contacts):
        found.add(EdgeCase.NEAREST_RELATIVE_NOT_INVOLVED)
    if any(c.decided_by is ConsentDecider.BEST_INTERESTS for c in record.consents):
        found.add(EdgeCase.BEST_INTERESTS_SHARING)
    if any(d.status is DialogStatus.DECLINED for d in record.dialog_assessments):
        found.add(EdgeCase.DIALOG_DECLINED)
    if any(e.jurisdiction is Jurisdiction.WALES for e in record.episodes):
        found.add(EdgeCase.WELSH_SERVICE_USER)
    if any(s.discharged_at is not None for s in record.inpatient_stays):
        found.add(EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE)
    if record.section_117:
        found.add(EdgeCase.SECTION_117)
    found |= _issue_10_cases(record)
    return frozenset(found)


def _issue_10_cases(record: ServiceUserRecord) -> set[EdgeCase]:
    found: set[EdgeCase] = set()
    if any(s.status in COMMUNITY_STATUSES for s in record.legal_statuses):
        found.add(EdgeCase.COMMUNITY_LEGAL_STATUS)
    if any(d.status is DialogStatus.NOT_APPROPRIATE for d in record.dialog_assessments):
        found.add(EdgeCase.DIALOG_NOT_APPROPRIATE)
    if any(n.status is NeedStatus.UNMET for n in record.needs):
        found.add(EdgeCase.UNMET_NEED)
    if any(a.considered and a.action_needed is False for a in record.ctp_areas):
        found.add(EdgeCase.CTP_AREA_SELF_MANAGED)
    if any(p.on_behalf_of_service_user and p.attended for p in record.review_participants):
        found.add(EdgeCase.REVIEW_BY_REPRESENTATIVE)
    if any(p.replaces_care_plan_id for p in record.care_plans):
        found.add(EdgeCase.PLAN_VERSION_REPLACED)
    if any(g.dialog_assessment_id for g in record.goals):
        found.add(EdgeCase.MORE_HELP_GOAL)
    if any(m.alert is not None for m in record.medications):
        found.add(EdgeCase.MEDICATION_ALERT)
    return found
