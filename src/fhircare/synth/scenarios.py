"""The requirements.md §6 edge cases a synthetic extract covers, and how to recognise
each one in a service user's records (from the data, not from the generator's intent, so
tests can check an extract that has been written and read back)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.codes import EpisodeStatus
from fhircare.source.local_codes import ConsentDecider, ConsentDecisionType, ConsentKind, DialogStatus, Jurisdiction


class EdgeCase(StrEnum):
    NO_KEY_WORKER_YET = "no-key-worker-yet"  # EC-01
    KEY_WORKER_CHANGE = "key-worker-change"  # EC-06
    TRANSFER_BETWEEN_TEAMS = "transfer-between-teams"  # EC-10
    OUT_OF_AREA_PLACEMENT = "out-of-area-placement"  # EC-13
    YOUNG_CARER = "young-carer"  # EC-42
    CARER_REFUSING_CONSENT = "carer-refusing-consent"  # EC-45
    SERVICE_USER_REFUSING_CARER_INVOLVEMENT = "service-user-refusing-carer-involvement"  # EC-43
    DIALOG_DECLINED = "dialog-declined"  # DE-153
    WELSH_SERVICE_USER = "welsh-service-user"  # EC-17, DE-003
    INPATIENT_ADMISSION_AND_DISCHARGE = "inpatient-admission-and-discharge"  # DE-200..205
    SECTION_117 = "section-117"  # DE-007


#: the scenario each service user follows, by index modulo the length: every block of
#: this many consecutive service users covers every edge case; "typical" covers none
SCENARIOS: tuple[str, ...] = (
    EdgeCase.NO_KEY_WORKER_YET,
    EdgeCase.KEY_WORKER_CHANGE,
    EdgeCase.TRANSFER_BETWEEN_TEAMS,
    EdgeCase.OUT_OF_AREA_PLACEMENT,
    EdgeCase.YOUNG_CARER,
    EdgeCase.CARER_REFUSING_CONSENT,
    EdgeCase.SERVICE_USER_REFUSING_CARER_INVOLVEMENT,
    EdgeCase.DIALOG_DECLINED,
    EdgeCase.WELSH_SERVICE_USER,
    EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE,  # with Section 117 after-care
    "typical",
)


def edge_cases(record: ServiceUserRecord, as_of: date) -> frozenset[EdgeCase]:
    """The edge cases a service user's records show."""
    found: set[EdgeCase] = set()
    current_key_workers = record.key_workers_on(as_of)
    if any(e.status is EpisodeStatus.WAITLIST and e.key_worker_awaiting_since for e in record.episodes) and not (
        current_key_workers
    ):
        found.add(EdgeCase.NO_KEY_WORKER_YET)
    key_workers = [m for m in record.care_team if m.is_key_worker]
    if current_key_workers and any(m.end_date is not None and m.end_date < as_of for m in key_workers):
        found.add(EdgeCase.KEY_WORKER_CHANGE)
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
    if any(d.status is DialogStatus.DECLINED for d in record.dialog_assessments):
        found.add(EdgeCase.DIALOG_DECLINED)
    if any(e.jurisdiction is Jurisdiction.WALES for e in record.episodes):
        found.add(EdgeCase.WELSH_SERVICE_USER)
    if any(s.discharged_at is not None for s in record.inpatient_stays):
        found.add(EdgeCase.INPATIENT_ADMISSION_AND_DISCHARGE)
    if record.section_117:
        found.add(EdgeCase.SECTION_117)
    return frozenset(found)
